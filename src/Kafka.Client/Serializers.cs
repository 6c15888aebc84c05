using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Kafka.Client.Internal.Serialization;

namespace Kafka.Client;

/// <summary>Built-in <see cref="ISerializer{T}"/>s; all are stateless, thread-safe and allocate nothing per value.</summary>
public static class Serializers
{
    /// <summary>A string as UTF-8 (the Java client's <c>StringSerializer</c>).</summary>
    public static ISerializer<string> Utf8 { get; } = new Utf8Serializer();

    /// <summary>A byte array as it is.</summary>
    public static ISerializer<byte[]> ByteArray { get; } = new ByteArraySerializer();

    /// <summary>Memory as it is.</summary>
    public static ISerializer<ReadOnlyMemory<byte>> Memory { get; } = new MemorySerializer();

    /// <summary>A 32-bit integer, big-endian (the Java client's <c>IntegerSerializer</c>).</summary>
    public static ISerializer<int> Int32 { get; } = new Int32Serializer();

    /// <summary>A 64-bit integer, big-endian (the Java client's <c>LongSerializer</c>).</summary>
    public static ISerializer<long> Int64 { get; } = new Int64Serializer();

    /// <summary>JSON through System.Text.Json's source-generated metadata (trimming- and AOT-safe).</summary>
    public static ISerializer<T> Json<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return new JsonSerializer<T>(typeInfo);
    }

    /// <summary>JSON through System.Text.Json with reflection; prefer the <see cref="JsonTypeInfo{T}"/> overload under trimming or AOT.</summary>
    [RequiresUnreferencedCode("JSON serialization of arbitrary types may need types that trimming removes; use Json(JsonTypeInfo<T>).")]
    [RequiresDynamicCode("JSON serialization of arbitrary types may need runtime code generation; use Json(JsonTypeInfo<T>).")]
    public static ISerializer<T> Json<T>(JsonSerializerOptions? options = null) =>
        new JsonSerializer<T>((JsonTypeInfo<T>)(options ?? JsonSerializerOptions.Default).GetTypeInfo(typeof(T)));
}
