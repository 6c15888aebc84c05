namespace Kafka.Client.Protocol.Records;

/// <summary>
/// One decoded record. Key, value and headers are slices of the fetched bytes or of a buffer the
/// <see cref="RecordSetReader"/> owns, valid until that reader is reset or disposed.
/// </summary>
internal readonly struct RecordView
{
    public RecordView(long offset, long timestamp, ReadOnlyMemory<byte> key, bool isKeyNull, ReadOnlyMemory<byte> value,
        bool isValueNull, RecordHeaders headers)
    {
        Offset = offset;
        Timestamp = timestamp;
        Key = key;
        IsKeyNull = isKeyNull;
        Value = value;
        IsValueNull = isValueNull;
        Headers = headers;
    }

    public long Offset { get; }

    /// <summary>Milliseconds since the Unix epoch; -1 for magic 0 messages, which have none.</summary>
    public long Timestamp { get; }

    public ReadOnlyMemory<byte> Key { get; }

    public bool IsKeyNull { get; }

    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>True for a null value (a tombstone), as opposed to an empty one.</summary>
    public bool IsValueNull { get; }

    public RecordHeaders Headers { get; }
}
