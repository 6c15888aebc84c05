namespace Kafka.Client.Protocol.Records;

/// <summary>
/// The headers of a decoded record, parsed on enumeration from the record's bytes (which the reader validated),
/// so a record with headers costs nothing until they are read.
/// </summary>
internal readonly struct RecordHeaders
{
    private readonly ReadOnlyMemory<byte> _bytes;

    public RecordHeaders(ReadOnlyMemory<byte> bytes, int count)
    {
        _bytes = bytes;
        Count = count;
    }

    public int Count { get; }

    public Enumerator GetEnumerator() => new(_bytes, Count);

    /// <summary>Walks the header section: varint key length and key, varint value length (-1 null) and value.</summary>
    public struct Enumerator
    {
        private readonly ReadOnlyMemory<byte> _bytes;
        private int _left;
        private int _position;

        internal Enumerator(ReadOnlyMemory<byte> bytes, int count)
        {
            _bytes = bytes;
            _left = count;
            _position = 0;
            Current = default;
        }

        public RecordHeader Current { get; private set; }

        public bool MoveNext()
        {
            if (_left == 0)
            {
                return false;
            }
            var reader = new KafkaReader(_bytes.Span[_position..]);
            var keyLength = reader.ReadVarInt();
            var keyAt = _position + reader.Position;
            reader.Skip(keyLength);
            var valueLength = reader.ReadVarInt();
            var valueAt = _position + reader.Position;
            reader.Skip(Math.Max(valueLength, 0));
            Current = new RecordHeader(
                _bytes.Slice(keyAt, keyLength),
                valueLength < 0 ? ReadOnlyMemory<byte>.Empty : _bytes.Slice(valueAt, valueLength),
                valueLength < 0);
            _position += reader.Position;
            _left--;
            return true;
        }
    }
}
