using System.Text;

namespace Kafka.Client.Protocol.Records;

/// <summary>A header as it lies in a decoded record: slices that share the record's lifetime.</summary>
internal readonly struct RecordHeader
{
    public RecordHeader(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, bool isNull)
    {
        Key = key;
        Value = value;
        IsNull = isNull;
    }

    /// <summary>The key's UTF-8 bytes.</summary>
    public ReadOnlyMemory<byte> Key { get; }

    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>True for a null value (empty <see cref="Value"/>).</summary>
    public bool IsNull { get; }

    /// <summary>Decodes the key; the value is not copied, so the result shares the reader's buffers.</summary>
    public KafkaHeader ToKafkaHeader() => new(Encoding.UTF8.GetString(Key.Span), Value) { IsNull = IsNull };
}
