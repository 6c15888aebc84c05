using System.IO.Hashing;
using static Kafka.Client.Protocol.Records.RecordBatchFormat;

namespace Kafka.Client.Protocol.Records;

/// <summary>
/// Writes a legacy message set (magic 0 or 1), for brokers older than 0.11 reached through Produce v2 and
/// below. Uncompressed sets get offsets 0..n-1. Compressed sets are one wrapper message whose value is the
/// compressed inner set: inner offsets are 0..n-1 (relative, for magic 1) and the wrapper carries the last one,
/// n-1, and for magic 1 the largest inner timestamp. Message sets have no headers, producer ids or zstd.
/// </summary>
/// <remarks>Lz4 in a magic 0 set uses the pre-0.10 frame header checksum, which brokers of that age require.</remarks>
internal sealed class MessageSetBuilder : IDisposable
{
    private KafkaWriter? _output;
    private KafkaWriter? _scratch;
    private KafkaWriter? _messages;
    private int _start;
    private int _messagesStart;
    private byte _magic;
    private CompressionType _compression;
    private int? _compressionLevel;
    private int _count;
    private long _maxTimestamp;

    public bool IsOpen => _output is not null;

    public int RecordCount => _count;

    /// <summary>The set's size so far, before compression (a compressed set adds one wrapper message).</summary>
    public int SizeInBytes => _messages is null ? 0 : _messages.Position - _messagesStart;

    /// <summary>The encoded size of one message with its offset and size fields. Lengths of -1 mean null.</summary>
    public static int MessageSize(byte magic, int keyLength, int valueLength) =>
        LogOverhead + (magic == MagicV0 ? LegacyMinMessageSizeV0 : LegacyMinMessageSizeV1)
        + Math.Max(keyLength, 0) + Math.Max(valueLength, 0);

    public void Begin(KafkaWriter output, byte magic, CompressionType compression = CompressionType.None, int? compressionLevel = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (IsOpen)
        {
            throw new InvalidOperationException("The previous message set was not completed.");
        }
        if (magic > MagicV1)
        {
            throw new ArgumentOutOfRangeException(nameof(magic), magic, "Message sets are magic 0 or 1; use RecordBatchBuilder for magic 2.");
        }
        if (compression is < CompressionType.None or > CompressionType.Lz4)
        {
            throw new ArgumentOutOfRangeException(nameof(compression), compression, "Message sets support no compression, gzip, snappy and lz4.");
        }
        _output = output;
        _magic = magic;
        _compression = compression;
        _compressionLevel = compressionLevel;
        if (compression == CompressionType.None)
        {
            _messages = output;
        }
        else
        {
            _scratch ??= new KafkaWriter(16 * 1024);
            _scratch.Reset();
            _messages = _scratch;
        }
        _start = output.Position;
        _messagesStart = _messages.Position;
        _count = 0;
        _maxTimestamp = -1;
    }

    /// <summary>Appends a message; <paramref name="timestamp"/> is ignored by magic 0.</summary>
    public void Append(long timestamp, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool keyIsNull = false, bool valueIsNull = false)
    {
        var messages = _messages ?? throw new InvalidOperationException("Begin a message set before appending to it.");
        WriteMessage(messages, _count, _magic, attributes: 0, timestamp, key, keyIsNull ? -1 : key.Length, value, valueIsNull ? -1 : value.Length);
        _maxTimestamp = Math.Max(_maxTimestamp, timestamp);
        _count++;
    }

    /// <summary>Finishes the set (compressing it into a wrapper message when asked); returns its size in the output.</summary>
    public int Complete()
    {
        var output = _output ?? throw new InvalidOperationException("No message set is open.");
        if (_count == 0)
        {
            throw new InvalidOperationException("A message set needs at least one message.");
        }
        if (_compression != CompressionType.None)
        {
            WriteWrapper(output);
        }
        var size = output.Position - _start;
        Reset();
        return size;
    }

    /// <summary>Forgets the open set; what was written to the output stays there.</summary>
    public void Reset()
    {
        _output = null;
        _messages = null;
        _count = 0;
    }

    public void Dispose()
    {
        Reset();
        _scratch?.Dispose();
        _scratch = null;
    }

    private void WriteWrapper(KafkaWriter output)
    {
        var inner = _scratch!.WrittenSince(_messagesStart);
        var messageStart = WriteMessageHeader(output, _count - 1, _magic, (sbyte)_compression, _maxTimestamp);
        output.WriteInt32(-1); // no key
        var valueLengthAt = output.ReserveInt32();
        var compressed = _compression == CompressionType.Lz4
            ? Lz4FrameCodec.Compress(inner, output, _compressionLevel, brokenHeaderChecksum: _magic == MagicV0)
            : Compression.Compress(_compression, inner, output, _compressionLevel);
        output.PatchInt32(valueLengthAt, compressed);
        FinishMessage(output, messageStart);
    }

    private static void WriteMessage(KafkaWriter writer, long offset, byte magic, sbyte attributes, long timestamp,
        ReadOnlySpan<byte> key, int keyLength, ReadOnlySpan<byte> value, int valueLength)
    {
        var messageStart = WriteMessageHeader(writer, offset, magic, attributes, timestamp);
        writer.WriteInt32(keyLength);
        if (keyLength > 0)
        {
            writer.WriteRaw(key);
        }
        writer.WriteInt32(valueLength);
        if (valueLength > 0)
        {
            writer.WriteRaw(value);
        }
        FinishMessage(writer, messageStart);
    }

    /// <summary>Writes offset, size and crc placeholders, magic, attributes and timestamp; returns where the size is.</summary>
    private static int WriteMessageHeader(KafkaWriter writer, long offset, byte magic, sbyte attributes, long timestamp)
    {
        writer.WriteInt64(offset);
        var sizeAt = writer.ReserveInt32();
        writer.WriteInt32(0); // crc, patched
        writer.WriteInt8((sbyte)magic);
        writer.WriteInt8(attributes); // create time: bit 3 clear
        if (magic == MagicV1)
        {
            writer.WriteInt64(timestamp);
        }
        return sizeAt;
    }

    private static void FinishMessage(KafkaWriter writer, int sizeAt)
    {
        var messageStart = sizeAt + 4;
        writer.PatchInt32(sizeAt, writer.Position - messageStart);
        // The IEEE CRC-32 covers magic to the end of the message.
        writer.PatchInt32(messageStart, (int)Crc32.HashToUInt32(writer.WrittenSince(messageStart + LegacyCrcSize)));
    }
}
