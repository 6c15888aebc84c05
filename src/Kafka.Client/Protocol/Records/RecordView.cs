namespace Kafka.Client.Protocol.Records;

/// <summary>
/// One decoded record. Key, value and headers are slices of the fetched bytes or of a buffer the
/// <see cref="RecordSetReader"/> owns, valid until that reader is reset or disposed.
/// </summary>
/// <remarks>
/// Consumers keep every record of a fetch in arrays of these, so the struct is kept small (56 bytes): the record's
/// bytes once, and where its key, value and headers lie in them, instead of a memory slice for each.
/// </remarks>
internal readonly struct RecordView
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly int _keyAt;
    private readonly int _keyLength;
    private readonly int _valueAt;
    private readonly int _valueLength;
    private readonly int _headersAt;
    private readonly int _headerCount;

    /// <param name="offset">The record's offset.</param>
    /// <param name="timestamp">Milliseconds since the Unix epoch, or -1.</param>
    /// <param name="bytes">Bytes holding the key, the value and the headers.</param>
    /// <param name="keyAt">Where the key starts in <paramref name="bytes"/>.</param>
    /// <param name="keyLength">The key's length; negative for a null key.</param>
    /// <param name="valueAt">Where the value starts in <paramref name="bytes"/>.</param>
    /// <param name="valueLength">The value's length; negative for a null value.</param>
    /// <param name="headersAt">Where the headers start; they run to the end of <paramref name="bytes"/>.</param>
    /// <param name="headerCount">How many headers there are.</param>
    public RecordView(long offset, long timestamp, ReadOnlyMemory<byte> bytes, int keyAt, int keyLength, int valueAt,
        int valueLength, int headersAt = 0, int headerCount = 0)
    {
        Offset = offset;
        Timestamp = timestamp;
        _bytes = bytes;
        _keyAt = keyAt;
        _keyLength = keyLength;
        _valueAt = valueAt;
        _valueLength = valueLength;
        _headersAt = headersAt;
        _headerCount = headerCount;
    }

    public long Offset { get; }

    /// <summary>Milliseconds since the Unix epoch; -1 for magic 0 messages, which have none.</summary>
    public long Timestamp { get; }

    public ReadOnlyMemory<byte> Key => _keyLength < 0 ? default : _bytes.Slice(_keyAt, _keyLength);

    public bool IsKeyNull => _keyLength < 0;

    public ReadOnlyMemory<byte> Value => _valueLength < 0 ? default : _bytes.Slice(_valueAt, _valueLength);

    /// <summary>True for a null value (a tombstone), as opposed to an empty one.</summary>
    public bool IsValueNull => _valueLength < 0;

    public RecordHeaders Headers => _headerCount == 0 ? default : new RecordHeaders(_bytes[_headersAt..], _headerCount);
}
