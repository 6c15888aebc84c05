using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Kafka.Client.Internal.Serialization;

namespace Kafka.Client;

/// <summary>Ready-made deserializers.</summary>
public static class Deserializers
{
    /// <summary>UTF-8 text; a null key or value gives <see langword="null"/>.</summary>
    public static IDeserializer<string?> Utf8 { get; } = new Utf8Deserializer();

    /// <summary>A copy of the bytes; a null key or value gives <see langword="null"/>.</summary>
    public static IDeserializer<byte[]?> ByteArray { get; } = new ByteArrayDeserializer();

    /// <summary>Ignores the bytes (for a key or value the application does not use); always <see langword="null"/>.</summary>
    public static IDeserializer<object?> Ignore { get; } = new IgnoreDeserializer();

    /// <summary>
    /// JSON through System.Text.Json's source-generated metadata (trimming- and AOT-safe), read from the message's bytes
    /// without copying them. A null key or value (a tombstone) gives <c>default</c>, <see langword="null"/> for a
    /// reference type, as JSON <c>null</c> does. Malformed JSON throws <see cref="JsonException"/>.
    /// </summary>
    /// <typeparam name="T">The type read.</typeparam>
    /// <param name="typeInfo">The type's metadata, such as <c>MyJsonContext.Default.Order</c>.</param>
    /// <returns>A stateless, thread-safe deserializer.</returns>
    public static IDeserializer<T> Json<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return new JsonDeserializer<T>(typeInfo);
    }

    /// <summary>JSON through System.Text.Json with reflection; prefer the <see cref="JsonTypeInfo{T}"/> overload under trimming or AOT.</summary>
    /// <typeparam name="T">The type read.</typeparam>
    /// <param name="options">The serializer options; <see cref="JsonSerializerOptions.Default"/> when <see langword="null"/>.</param>
    /// <returns>A stateless, thread-safe deserializer.</returns>
    [RequiresUnreferencedCode("JSON deserialization of arbitrary types may need types that trimming removes; use Json(JsonTypeInfo<T>).")]
    [RequiresDynamicCode("JSON deserialization of arbitrary types may need runtime code generation; use Json(JsonTypeInfo<T>).")]
    public static IDeserializer<T> Json<T>(JsonSerializerOptions? options = null) =>
        new JsonDeserializer<T>((JsonTypeInfo<T>)(options ?? JsonSerializerOptions.Default).GetTypeInfo(typeof(T)));

    private sealed class Utf8Deserializer : IDeserializer<string?>
    {
        public string? Deserialize(ReadOnlySpan<byte> data, in DeserializationContext context) =>
            context.IsNull ? null : Encoding.UTF8.GetString(data);
    }

    private sealed class ByteArrayDeserializer : IDeserializer<byte[]?>
    {
        public byte[]? Deserialize(ReadOnlySpan<byte> data, in DeserializationContext context) =>
            context.IsNull ? null : data.ToArray();
    }

    private sealed class IgnoreDeserializer : IDeserializer<object?>
    {
        public object? Deserialize(ReadOnlySpan<byte> data, in DeserializationContext context) => null;
    }
}
