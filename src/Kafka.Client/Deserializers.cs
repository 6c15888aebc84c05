using System.Text;

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
