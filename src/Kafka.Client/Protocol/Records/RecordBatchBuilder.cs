using System.Text;
using static Kafka.Client.Protocol.Records.RecordBatchFormat;

namespace Kafka.Client.Protocol.Records;

/// <summary>
/// Writes one record batch v2 at a time into a <see cref="KafkaWriter"/>: <see cref="Begin(KafkaWriter, in RecordBatchSettings)"/>
/// writes the header with placeholders, <see cref="Append"/> adds records, <see cref="Complete"/> compresses (when
/// asked), then patches the lengths, offsets, timestamps and CRC-32C in place. A builder is reused batch after
/// batch; once its buffers have grown, appending allocates nothing.
/// </summary>
/// <remarks>
/// Uncompressed records go straight into the output. Compressed batches collect their records in a scratch buffer
/// the builder owns (rented from the array pool and kept across batches), which is compressed into the output by
/// <see cref="Complete"/>. Not thread-safe.
/// </remarks>
internal sealed class RecordBatchBuilder : IDisposable
{
    private KafkaWriter? _output;
    private KafkaWriter? _scratch;
    private KafkaWriter? _records;
    private int _start;
    private int _recordsStart;
    private CompressionType _compression;
    private int? _compressionLevel;
    private long? _logAppendTime;
    private int _count;
    private long _baseTimestamp;
    private long _maxTimestamp;

    /// <summary>Whether a batch has begun and not yet completed.</summary>
    public bool IsOpen => _output is not null;

    /// <summary>The records appended to the open batch.</summary>
    public int RecordCount => _count;

    /// <summary>
    /// The open batch's size so far: header plus records before compression. Compression usually shrinks it; for
    /// a strict bound on incompressible data use <see cref="Compression.MaxCompressedLength"/>.
    /// </summary>
    public int SizeInBytes => _records is null ? 0 : BatchHeaderSize + (_records.Position - _recordsStart);

    /// <summary>Starts a batch at the output's current position.</summary>
    public void Begin(KafkaWriter output, CompressionType compression = CompressionType.None, long producerId = -1,
        short producerEpoch = -1, int baseSequence = -1, int? compressionLevel = null) =>
        Begin(output, new RecordBatchSettings
        {
            Compression = compression,
            CompressionLevel = compressionLevel,
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
            BaseSequence = baseSequence,
        });

    /// <summary>Starts a batch at the output's current position.</summary>
    public void Begin(KafkaWriter output, in RecordBatchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (IsOpen)
        {
            throw new InvalidOperationException("The previous record batch was not completed.");
        }
        if (settings.Compression is < CompressionType.None or > CompressionType.Zstd)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), settings.Compression, "Unknown compression type.");
        }
        var attributes = (short)settings.Compression;
        if (settings.LogAppendTime is not null)
        {
            attributes |= TimestampTypeFlag;
        }
        if (settings.IsTransactional)
        {
            attributes |= TransactionalFlag;
        }
        if (settings.IsControl)
        {
            attributes |= ControlFlag;
        }

        _start = output.Position;
        output.WriteInt64(settings.BaseOffset);
        output.WriteInt32(0);                      // batchLength, patched
        output.WriteInt32(settings.PartitionLeaderEpoch);
        output.WriteUInt8(MagicV2);
        output.WriteInt32(0);                      // crc, patched
        output.WriteInt16(attributes);
        output.WriteInt32(0);                      // lastOffsetDelta, patched
        output.WriteInt64(0);                      // baseTimestamp, patched
        output.WriteInt64(0);                      // maxTimestamp, patched
        output.WriteInt64(settings.ProducerId);
        output.WriteInt16(settings.ProducerEpoch);
        output.WriteInt32(settings.BaseSequence);
        output.WriteInt32(0);                      // records count, patched

        _output = output;
        _compression = settings.Compression;
        _compressionLevel = settings.CompressionLevel;
        _logAppendTime = settings.LogAppendTime;
        if (_compression == CompressionType.None)
        {
            _records = output;
        }
        else
        {
            _scratch ??= new KafkaWriter(16 * 1024);
            _scratch.Reset();
            _records = _scratch;
        }
        _recordsStart = _records.Position;
        _count = 0;
    }

    /// <summary>
    /// Appends a record. Its offset delta is its index in the batch; its timestamp delta is relative to the first
    /// record's. A span cannot be null, so null keys and values (no key; a tombstone) are flagged instead.
    /// </summary>
    /// <exception cref="ArgumentException">A header has a null key, or the record exceeds 2 GiB.</exception>
    public void Append(long timestamp, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<KafkaHeader> headers,
        bool keyIsNull = false, bool valueIsNull = false)
    {
        var records = _records ?? throw new InvalidOperationException("Begin a record batch before appending to it.");
        var baseTimestamp = _count == 0 ? timestamp : _baseTimestamp;
        var timestampDelta = timestamp - baseTimestamp;
        var keyLength = keyIsNull ? -1 : key.Length;
        var valueLength = valueIsNull ? -1 : value.Length;
        // Sized (and validated) before anything is written, so a bad record leaves the batch as it was.
        var bodySize = RecordBodySize(_count, timestampDelta, keyLength, valueLength, headers);

        records.WriteVarInt(bodySize);
        records.WriteInt8(0); // record attributes: unused
        records.WriteVarLong(timestampDelta);
        records.WriteVarInt(_count);
        WriteVarBytes(records, key, keyLength);
        WriteVarBytes(records, value, valueLength);
        records.WriteVarInt(headers.Length);
        foreach (ref readonly var header in headers)
        {
            var keyBytes = Encoding.UTF8.GetByteCount(header.Key);
            records.WriteVarInt(keyBytes);
            Encoding.UTF8.GetBytes(header.Key, records.GetSpan(keyBytes));
            records.Advance(keyBytes);
            WriteVarBytes(records, header.Value.Span, header.IsNull ? -1 : header.Value.Length);
        }

        if (_count == 0)
        {
            _baseTimestamp = _maxTimestamp = timestamp;
        }
        else if (timestamp > _maxTimestamp)
        {
            _maxTimestamp = timestamp;
        }
        _count++;
    }

    /// <summary>
    /// Finishes the batch: compresses the records (when asked), patches the header and CRC. Returns the batch's
    /// size in the output.
    /// </summary>
    public int Complete()
    {
        var output = _output ?? throw new InvalidOperationException("No record batch is open.");
        if (_count == 0)
        {
            throw new InvalidOperationException("A record batch needs at least one record.");
        }
        if (_compression != CompressionType.None)
        {
            Compression.Compress(_compression, _scratch!.WrittenSince(_recordsStart), output, _compressionLevel);
        }
        var size = output.Position - _start;
        output.PatchInt32(_start + BatchLengthOffset, size - LogOverhead);
        output.PatchInt32(_start + LastOffsetDeltaOffset, _count - 1);
        output.PatchInt64(_start + BaseTimestampOffset, _baseTimestamp);
        output.PatchInt64(_start + MaxTimestampOffset, _logAppendTime ?? _maxTimestamp);
        output.PatchInt32(_start + RecordsCountOffset, _count);
        // The CRC covers everything from the attributes on, so it comes last.
        output.PatchInt32(_start + CrcOffset, (int)Crc32C.Compute(output.WrittenSince(_start + AttributesOffset)));
        Reset();
        return size;
    }

    /// <summary>Forgets the open batch without finishing it; what was written to the output stays there.</summary>
    public void Reset()
    {
        _output = null;
        _records = null;
        _count = 0;
    }

    public void Dispose()
    {
        Reset();
        _scratch?.Dispose();
        _scratch = null;
    }

    /// <summary>Exactly how many bytes <see cref="Append"/> would add for this record (before compression).</summary>
    public int SizeOfNextRecord(long timestamp, int keyLength, int valueLength, ReadOnlySpan<KafkaHeader> headers)
    {
        var delta = _count == 0 ? 0 : timestamp - _baseTimestamp;
        return RecordSize(_count, delta, keyLength, valueLength, headers);
    }

    /// <summary>
    /// An upper bound of one record's encoded size whatever its position and timestamp in a batch: the deltas
    /// are counted at their largest varint size. A key or value length of -1 means null.
    /// </summary>
    public static int EstimateRecordSize(int keyLength, int valueLength, ReadOnlySpan<KafkaHeader> headers) =>
        RecordSize(int.MaxValue, long.MinValue, keyLength, valueLength, headers);

    /// <summary>The encoded size of one record, its length prefix included. Lengths of -1 mean null.</summary>
    public static int RecordSize(int offsetDelta, long timestampDelta, int keyLength, int valueLength, ReadOnlySpan<KafkaHeader> headers)
    {
        var body = RecordBodySize(offsetDelta, timestampDelta, keyLength, valueLength, headers);
        return VarIntSize(body) + body;
    }

    private static int RecordBodySize(int offsetDelta, long timestampDelta, int keyLength, int valueLength, ReadOnlySpan<KafkaHeader> headers)
    {
        long size = 1 + VarLongSize(timestampDelta) + VarIntSize(offsetDelta)
            + VarBytesSize(keyLength) + VarBytesSize(valueLength) + VarIntSize(headers.Length);
        foreach (ref readonly var header in headers)
        {
            if (header.Key is null)
            {
                throw new ArgumentException("A record header needs a key.", nameof(headers));
            }
            size += VarBytesSize(Encoding.UTF8.GetByteCount(header.Key)) + VarBytesSize(header.IsNull ? -1 : header.Value.Length);
        }
        if (size > int.MaxValue - 5)
        {
            throw new ArgumentException($"A record of {size} bytes does not fit a record batch.");
        }
        return (int)size;
    }

    private static void WriteVarBytes(KafkaWriter writer, ReadOnlySpan<byte> bytes, int length)
    {
        writer.WriteVarInt(length);
        if (length > 0)
        {
            writer.WriteRaw(bytes);
        }
    }

    private static long VarBytesSize(int length) => length < 0 ? 1 : VarIntSize(length) + (long)length;

    /// <summary>The size of a zig-zag varint.</summary>
    internal static int VarIntSize(int value) => UnsignedVarSize((uint)((value << 1) ^ (value >> 31)));

    /// <summary>The size of a zig-zag varlong.</summary>
    internal static int VarLongSize(long value) => UnsignedVarSize((ulong)((value << 1) ^ (value >> 63)));

    private static int UnsignedVarSize(ulong value)
    {
        // One byte per started group of seven bits; zero still takes one byte.
        var bits = 64 - System.Numerics.BitOperations.LeadingZeroCount(value | 1);
        return (bits + 6) / 7;
    }
}
