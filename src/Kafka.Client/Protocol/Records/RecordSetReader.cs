using System.Buffers.Binary;
using System.IO.Hashing;
using static Kafka.Client.Protocol.Records.RecordBatchFormat;

namespace Kafka.Client.Protocol.Records;

/// <summary>
/// Decodes the records of one partition from a Fetch response: a sequence of record batches v2 and/or legacy
/// message sets (magic 0/1, including compressed wrappers), told apart by the magic byte 16 bytes into each
/// entry. A trailing incomplete entry, which brokers send when a batch does not fit the fetch size, is ignored
/// (see <see cref="TrailingBytes"/>). Nothing is allocated per record.
/// </summary>
/// <remarks>
/// <para>
/// Usage: <see cref="Reset"/> with the partition's bytes, then <see cref="TryReadBatch"/> and, within each batch,
/// <see cref="TryReadRecord"/>. Control batches are returned like any other; the consumer decides to skip them.
/// </para>
/// <para>
/// Buffer ownership: uncompressed records are slices of the memory given to <see cref="Reset"/>, which the
/// caller must keep unchanged until it is done with them. Each compressed batch is decompressed into its own
/// pooled buffer owned by this reader; all of them stay valid until the next <see cref="Reset"/> or
/// <see cref="Dispose"/>, so records of every batch read since the last reset can be held together. After that
/// the buffers are reused (or returned to the pool): copy what must live longer. Not thread-safe.
/// </para>
/// <para>
/// Every length is checked against the bytes that remain, and decompression stops at the batch size limit,
/// so malformed or hostile data raises a <see cref="KafkaProtocolException"/> naming the topic, partition and
/// batch offset, never a large allocation. Batch CRCs (CRC-32C for v2, CRC-32 for legacy messages) are verified.
/// </para>
/// </remarks>
internal sealed class RecordSetReader : IDisposable
{
    /// <summary>The default limit on one batch's decompressed records.</summary>
    public const int DefaultMaxBatchBytes = 128 * 1024 * 1024;

    private readonly int _maxBatchBytes;
    private readonly List<KafkaWriter> _buffers = [];
    private readonly Stack<KafkaWriter> _spare = new();
    private ReadOnlyMemory<byte> _input;
    private int _position;
    private string? _topic;
    private int _partition = -1;

    private Mode _mode;
    private RecordBatchInfo _batch;
    private ReadOnlyMemory<byte> _records;
    private int _recordPosition;
    private int _recordsLeft;
    private RecordView _single;
    private long _innerOffsetBase;
    private long _wrapperTimestamp;
    private bool _useWrapperTimestamp;

    /// <param name="maxBatchBytes">The most one compressed batch (or legacy wrapper) may decompress to.</param>
    public RecordSetReader(int maxBatchBytes = DefaultMaxBatchBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchBytes);
        _maxBatchBytes = maxBatchBytes;
    }

    private enum Mode
    {
        None,
        V2,
        LegacySingle,
        LegacyWrapper,
    }

    /// <summary>
    /// Whether batch CRCs are verified (the Java client's <c>check.crcs</c>). On by default; off skips the check (and
    /// its cost) for data known to be intact, or for brokers that write no CRC, as librdkafka's mock does in the
    /// transaction markers it writes.
    /// </summary>
    public bool VerifyChecksums { get; set; } = true;

    /// <summary>Where decompression buffers come from and go back to (the shared pool when <see langword="null"/>).</summary>
    public System.Buffers.ArrayPool<byte>? BufferPool { get; init; }

    /// <summary>The batch the last successful <see cref="TryReadBatch"/> returned.</summary>
    public RecordBatchInfo Batch => _batch;

    /// <summary>
    /// Once <see cref="TryReadBatch"/> has returned false: the bytes of an incomplete entry at the end that were
    /// ignored (0 when the data ended cleanly).
    /// </summary>
    public int TrailingBytes { get; private set; }

    /// <summary>
    /// The full size the ignored trailing entry declared, or -1 when not even its length was there; a consumer
    /// whose fetch returned nothing else needs a fetch size at least this large. It comes from the broker
    /// unchecked: bound it before acting on it.
    /// </summary>
    public long TruncatedEntrySize { get; private set; } = -1;

    /// <summary>
    /// Starts over on <paramref name="records"/>; the topic and partition only name the data in errors. Buffers
    /// holding previously decompressed batches are taken back (see the ownership remarks).
    /// </summary>
    public void Reset(ReadOnlyMemory<byte> records, string? topic = null, int partition = -1)
    {
        foreach (var buffer in _buffers)
        {
            buffer.Reset();
            _spare.Push(buffer);
        }
        _buffers.Clear();
        _input = records;
        _position = 0;
        _topic = topic;
        _partition = partition;
        _mode = Mode.None;
        _batch = default;
        _records = default;
        _recordsLeft = 0;
        TrailingBytes = 0;
        TruncatedEntrySize = -1;
    }

    /// <summary>
    /// Moves to the next complete batch (skipping any records of the current one not read). False at the end
    /// of the data or at an incomplete trailing entry.
    /// </summary>
    public bool TryReadBatch(out RecordBatchInfo batch)
    {
        _mode = Mode.None;
        _recordsLeft = 0;
        batch = default;
        var remaining = _input.Length - _position;
        if (remaining == 0)
        {
            return false;
        }
        if (remaining < LogOverhead)
        {
            TrailingBytes = remaining;
            return false;
        }
        var head = _input.Span[_position..];
        var offset = BinaryPrimitives.ReadInt64BigEndian(head);
        var size = BinaryPrimitives.ReadInt32BigEndian(head[BatchLengthOffset..]);
        if (size < LegacyMinMessageSizeV0)
        {
            throw Corrupt(offset, new KafkaProtocolException($"an entry size of {size} bytes"));
        }
        if (size > remaining - LogOverhead)
        {
            TrailingBytes = remaining;
            TruncatedEntrySize = (long)size + LogOverhead;
            return false;
        }
        var entry = _input.Slice(_position, LogOverhead + size);
        _position += entry.Length;
        try
        {
            var magic = head[MagicOffset];
            switch (magic)
            {
                case MagicV2:
                    ReadBatchV2(entry);
                    break;
                case MagicV0 or MagicV1:
                    ReadLegacyEntry(entry);
                    break;
                default:
                    throw Malformed($"unknown magic byte {magic}");
            }
        }
        catch (KafkaProtocolException e)
        {
            _mode = Mode.None;
            throw Corrupt(offset, e);
        }
        batch = _batch;
        return true;
    }

    /// <summary>The next record of the current batch; false when the batch has no more.</summary>
    public bool TryReadRecord(out RecordView record)
    {
        try
        {
            switch (_mode)
            {
                case Mode.V2:
                    return TryReadRecordV2(out record);
                case Mode.LegacyWrapper:
                    return TryReadInnerMessage(out record);
                case Mode.LegacySingle when _recordsLeft > 0:
                    _recordsLeft = 0;
                    record = _single;
                    return true;
                default:
                    record = default;
                    return false;
            }
        }
        catch (KafkaProtocolException e)
        {
            _mode = Mode.None;
            throw Corrupt(_batch.BaseOffset, e);
        }
    }

    public void Dispose() => Release(toPool: true);

    /// <summary>
    /// Disposes the reader, letting its decompression buffers go to the GC instead of back to their pool: for a reader
    /// dropped because it went unused, whose buffers the pool would only keep until its own trim found them unused too.
    /// </summary>
    public void DisposeUnpooled() => Release(toPool: false);

    private void Release(bool toPool)
    {
        foreach (var buffer in _buffers)
        {
            Drop(buffer, toPool);
        }
        _buffers.Clear();
        while (_spare.TryPop(out var buffer))
        {
            Drop(buffer, toPool);
        }
        _input = default;
        _records = default;
        _mode = Mode.None;
    }

    private static void Drop(KafkaWriter buffer, bool toPool)
    {
        if (toPool)
        {
            buffer.Dispose();
        }
        else
        {
            buffer.Abandon();
        }
    }

    private void ReadBatchV2(ReadOnlyMemory<byte> entry)
    {
        if (entry.Length < BatchHeaderSize)
        {
            throw Malformed($"a batch length of {entry.Length - LogOverhead}, below the {MinBatchLength}-byte header");
        }
        var span = entry.Span;
        if (VerifyChecksums)
        {
            var storedCrc = BinaryPrimitives.ReadUInt32BigEndian(span[CrcOffset..]);
            var computedCrc = Crc32C.Compute(span[AttributesOffset..]);
            if (storedCrc != computedCrc)
            {
                throw Malformed($"CRC-32C mismatch (stored 0x{storedCrc:X8}, computed 0x{computedCrc:X8})");
            }
        }
        var attributes = BinaryPrimitives.ReadInt16BigEndian(span[AttributesOffset..]);
        var codec = attributes & CompressionMask;
        if (codec > (int)CompressionType.Zstd)
        {
            throw Malformed($"unknown compression codec {codec}");
        }
        var baseOffset = BinaryPrimitives.ReadInt64BigEndian(span);
        var count = BinaryPrimitives.ReadInt32BigEndian(span[RecordsCountOffset..]);
        if (count < 0)
        {
            throw Malformed($"a record count of {count}");
        }
        var body = entry[BatchHeaderSize..];
        if (codec == 0)
        {
            _records = body;
        }
        else
        {
            var buffer = RentBuffer();
            Compression.Decompress((CompressionType)codec, body, buffer, _maxBatchBytes);
            _records = buffer.WrittenMemory;
        }
        if ((long)count * MinRecordSize > _records.Length)
        {
            throw Malformed($"{count} records declared in {_records.Length} bytes of records");
        }
        _batch = new RecordBatchInfo
        {
            BaseOffset = baseOffset,
            LastOffset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(span[LastOffsetDeltaOffset..]),
            Magic = MagicV2,
            Compression = (CompressionType)codec,
            TimestampType = (attributes & TimestampTypeFlag) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime,
            IsTransactional = (attributes & TransactionalFlag) != 0,
            IsControl = (attributes & ControlFlag) != 0,
            PartitionLeaderEpoch = BinaryPrimitives.ReadInt32BigEndian(span[PartitionLeaderEpochOffset..]),
            BaseTimestamp = BinaryPrimitives.ReadInt64BigEndian(span[BaseTimestampOffset..]),
            MaxTimestamp = BinaryPrimitives.ReadInt64BigEndian(span[MaxTimestampOffset..]),
            ProducerId = BinaryPrimitives.ReadInt64BigEndian(span[ProducerIdOffset..]),
            ProducerEpoch = BinaryPrimitives.ReadInt16BigEndian(span[ProducerEpochOffset..]),
            BaseSequence = BinaryPrimitives.ReadInt32BigEndian(span[BaseSequenceOffset..]),
            RecordCount = count,
            SizeInBytes = entry.Length,
        };
        _recordPosition = 0;
        _recordsLeft = count;
        _mode = Mode.V2;
    }

    private bool TryReadRecordV2(out RecordView record)
    {
        if (_recordsLeft == 0)
        {
            if (_recordPosition != _records.Length)
            {
                throw Malformed($"{_records.Length - _recordPosition} bytes after the {_batch.RecordCount} records the batch declares");
            }
            _mode = Mode.None;
            record = default;
            return false;
        }
        if (_recordPosition == _records.Length)
        {
            throw Malformed($"the batch declares {_batch.RecordCount} records but holds {_batch.RecordCount - _recordsLeft}");
        }
        var span = _records.Span;
        var prefix = new KafkaReader(span[_recordPosition..]);
        var length = prefix.ReadVarInt();
        if (length < MinRecordBodySize || length > prefix.Remaining)
        {
            throw Malformed($"a record length of {length} with {prefix.Remaining} bytes left");
        }
        var bodyAt = _recordPosition + prefix.Position;
        var body = new KafkaReader(span.Slice(bodyAt, length));
        body.ReadInt8(); // record attributes: unused
        var timestampDelta = body.ReadVarLong();
        var offsetDelta = body.ReadVarInt();
        var keyLength = ReadVarLength(ref body, "key");
        var keyAt = bodyAt + body.Position;
        body.Skip(Math.Max(keyLength, 0));
        var valueLength = ReadVarLength(ref body, "value");
        var valueAt = bodyAt + body.Position;
        body.Skip(Math.Max(valueLength, 0));
        var headerCount = body.ReadVarInt();
        // Each header takes at least two bytes (its two lengths).
        if (headerCount < 0 || headerCount > body.Remaining / 2)
        {
            throw Malformed($"a header count of {headerCount} with {body.Remaining} bytes left in the record");
        }
        var headersAt = bodyAt + body.Position;
        for (var i = 0; i < headerCount; i++)
        {
            var headerKeyLength = body.ReadVarInt();
            if (headerKeyLength < 0)
            {
                throw Malformed("a header with a null key");
            }
            body.Skip(headerKeyLength);
            body.Skip(Math.Max(ReadVarLength(ref body, "header value"), 0));
        }
        if (!body.End)
        {
            throw Malformed($"a record of {length} bytes whose fields end after {body.Position}");
        }

        _recordPosition = bodyAt + length;
        _recordsLeft--;
        var timestamp = _batch.TimestampType == TimestampType.LogAppendTime ? _batch.MaxTimestamp : _batch.BaseTimestamp + timestampDelta;
        record = new RecordView(
            _batch.BaseOffset + offsetDelta,
            timestamp,
            _records.Slice(bodyAt, length),
            keyAt - bodyAt,
            keyLength,
            valueAt - bodyAt,
            valueLength,
            headersAt - bodyAt,
            headerCount);
        return true;
    }

    private void ReadLegacyEntry(ReadOnlyMemory<byte> entry)
    {
        var offset = BinaryPrimitives.ReadInt64BigEndian(entry.Span);
        var message = ParseMessage(entry.Span, LogOverhead, entry.Length - LogOverhead, VerifyChecksums);
        var codec = message.Attributes & CompressionMask;
        var timestampType = message.Magic == MagicV0 ? TimestampType.None
            : (message.Attributes & TimestampTypeFlag) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;
        var info = new RecordBatchInfo
        {
            Magic = message.Magic,
            Compression = (CompressionType)codec,
            TimestampType = timestampType,
            PartitionLeaderEpoch = -1,
            BaseTimestamp = -1,
            MaxTimestamp = message.Timestamp,
            ProducerId = -1,
            ProducerEpoch = -1,
            BaseSequence = -1,
            SizeInBytes = entry.Length,
        };
        if (codec == 0)
        {
            _single = new RecordView(offset, message.Timestamp, entry, message.KeyAt, message.KeyLength, message.ValueAt, message.ValueLength);
            _batch = info with { BaseOffset = offset, LastOffset = offset, RecordCount = 1 };
            _recordsLeft = 1;
            _mode = Mode.LegacySingle;
            return;
        }
        if (codec > (int)CompressionType.Zstd)
        {
            throw Malformed($"unknown compression codec {codec}");
        }
        if (message.ValueLength < 0)
        {
            throw Malformed("a compressed wrapper message without a value");
        }
        var buffer = RentBuffer();
        Compression.Decompress((CompressionType)codec, entry.Slice(message.ValueAt, message.ValueLength), buffer, _maxBatchBytes);
        _records = buffer.WrittenMemory;

        // Walk the inner set once for its count and offset range: magic 1 inner offsets are relative, and the
        // wrapper holds the absolute offset of the last one.
        var inner = _records.Span;
        var count = 0;
        long first = 0, last = 0;
        for (var position = 0; position < inner.Length;)
        {
            if (inner.Length - position < LogOverhead)
            {
                throw Malformed("a truncated message inside a compressed wrapper");
            }
            var innerOffset = BinaryPrimitives.ReadInt64BigEndian(inner[position..]);
            var innerSize = BinaryPrimitives.ReadInt32BigEndian(inner[(position + BatchLengthOffset)..]);
            if (innerSize < LegacyMinMessageSizeV0 || innerSize > inner.Length - position - LogOverhead)
            {
                throw Malformed($"an inner message size of {innerSize} with {inner.Length - position - LogOverhead} bytes left");
            }
            if (count == 0)
            {
                first = innerOffset;
            }
            last = innerOffset;
            count++;
            position += LogOverhead + innerSize;
        }
        _innerOffsetBase = message.Magic == MagicV0 ? 0 : offset - last;
        // With log-append time the broker stamped only the wrapper; it holds for every inner message.
        _useWrapperTimestamp = timestampType == TimestampType.LogAppendTime;
        _wrapperTimestamp = message.Timestamp;
        _batch = info with
        {
            BaseOffset = count == 0 ? offset : first + _innerOffsetBase,
            LastOffset = count == 0 || message.Magic != MagicV0 ? offset : last,
            RecordCount = count,
        };
        _recordPosition = 0;
        _recordsLeft = count;
        _mode = Mode.LegacyWrapper;
    }

    private bool TryReadInnerMessage(out RecordView record)
    {
        if (_recordsLeft == 0)
        {
            _mode = Mode.None;
            record = default;
            return false;
        }
        var span = _records.Span;
        var offset = BinaryPrimitives.ReadInt64BigEndian(span[_recordPosition..]);
        var size = BinaryPrimitives.ReadInt32BigEndian(span[(_recordPosition + BatchLengthOffset)..]);
        var message = ParseMessage(span, _recordPosition + LogOverhead, size, VerifyChecksums);
        if ((message.Attributes & CompressionMask) != 0)
        {
            throw Malformed("a compressed message nested inside a compressed wrapper");
        }
        var timestamp = message.Magic == MagicV0 ? -1 : _useWrapperTimestamp ? _wrapperTimestamp : message.Timestamp;
        record = new RecordView(offset + _innerOffsetBase, timestamp, _records, message.KeyAt, message.KeyLength, message.ValueAt, message.ValueLength);
        _recordPosition += LogOverhead + size;
        _recordsLeft--;
        return true;
    }

    /// <summary>Checks and splits a legacy message (crc, magic, attributes, [timestamp], key, value).</summary>
    private static LegacyMessage ParseMessage(ReadOnlySpan<byte> buffer, int messageAt, int size, bool verifyChecksum)
    {
        var message = buffer.Slice(messageAt, size);
        if (size < LegacyMinMessageSizeV0)
        {
            throw Malformed($"a message of {size} bytes");
        }
        if (verifyChecksum)
        {
            var storedCrc = BinaryPrimitives.ReadUInt32BigEndian(message);
            var computedCrc = Crc32.HashToUInt32(message[LegacyCrcSize..]);
            if (storedCrc != computedCrc)
            {
                throw Malformed($"CRC-32 mismatch (stored 0x{storedCrc:X8}, computed 0x{computedCrc:X8})");
            }
        }
        var magic = message[4];
        if (magic > MagicV1)
        {
            throw Malformed($"magic {magic} inside a message set");
        }
        var attributes = message[5];
        var reader = new KafkaReader(message[6..]);
        var timestamp = magic == MagicV1 ? reader.ReadInt64() : -1;
        var keyLength = reader.ReadInt32();
        if (keyLength < -1)
        {
            throw Malformed($"a key length of {keyLength}");
        }
        var keyAt = messageAt + 6 + reader.Position;
        reader.Skip(Math.Max(keyLength, 0));
        var valueLength = reader.ReadInt32();
        if (valueLength < -1)
        {
            throw Malformed($"a value length of {valueLength}");
        }
        var valueAt = messageAt + 6 + reader.Position;
        reader.Skip(Math.Max(valueLength, 0));
        if (!reader.End)
        {
            throw Malformed($"{reader.Remaining} bytes after the value of a message");
        }
        return new LegacyMessage(magic, attributes, timestamp, keyAt, keyLength, valueAt, valueLength);
    }

    private static int ReadVarLength(ref KafkaReader reader, string what)
    {
        var length = reader.ReadVarInt();
        if (length < -1)
        {
            throw Malformed($"a {what} length of {length}");
        }
        return length;
    }

    private KafkaWriter RentBuffer()
    {
        if (!_spare.TryPop(out var buffer))
        {
            // Small to start: buffers grow to their batch's size once and are kept for the next Reset.
            buffer = BufferPool is { } pool ? new KafkaWriter(16 * 1024, pool) : new KafkaWriter(16 * 1024);
        }
        _buffers.Add(buffer);
        return buffer;
    }

    private static KafkaProtocolException Malformed(string detail) => new(detail);

    private KafkaProtocolException Corrupt(long offset, KafkaProtocolException cause)
    {
        var where = _topic is null ? string.Empty : $" of partition {_topic}/{_partition}";
        return new KafkaProtocolException($"Corrupt record batch at offset {offset}{where}: {cause.Message}", cause);
    }

    private readonly record struct LegacyMessage(
        byte Magic, byte Attributes, long Timestamp, int KeyAt, int KeyLength, int ValueAt, int ValueLength);
}
