using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using static Kafka.Client.Protocol.Records.RecordBatchFormat;

namespace Kafka.Client.Internal.Producing;

/// <summary>
/// One partition's batch: a record batch v2 (or, for brokers before 0.11, a legacy message set) built in place, record
/// by record, in a pooled buffer that the producer owns until the batch is delivered or failed. The producing thread
/// copies each message's bytes straight into it. Closing it compresses the records and seals the header; the sealed
/// bytes are what every attempt sends, so a retry is byte-identical (same producer id, epoch and sequence). Batches
/// are pooled: their buffers keep their size from one use to the next.
/// </summary>
/// <remarks>
/// Not thread-safe: its partition's lock guards it until it is in flight, then its one request owns it. While open it
/// writes through its partition's builder (whose scratch buffer holds the records of a compressed batch until it is
/// closed), so a sealed compressed batch keeps only its compressed bytes.
/// </remarks>
internal sealed class ProducerBatch : IDisposable
{
    private RecordBatchBuilder? _builder;
    private MessageSetBuilder? _legacy;
    private MessageSlot[] _slots = [];
    private byte _magic;
    private CompressionType _compression;

    public KafkaWriter Buffer { get; } = new(16 * 1024);

    /// <summary>The batch's place in its partition's order (ascending, never reused).</summary>
    public long Number { get; private set; }

    public int Count { get; private set; }

    /// <summary>When the batch was begun (TimeProvider timestamp): its linger and delivery timeout start here.</summary>
    public long CreatedAt { get; private set; }

    public bool IsClosed { get; private set; }

    /// <summary>The producer id, epoch and base sequence stamped in the header (-1 when not idempotent).</summary>
    public long ProducerId { get; private set; } = -1;

    public short ProducerEpoch { get; private set; } = -1;

    public int BaseSequence { get; private set; } = -1;

    /// <summary>The identity generation the stamp belongs to (see ProducerEngine); 0 when stamped without one.</summary>
    public int IdentityGeneration { get; private set; }

    /// <summary>How many times a send of this batch failed with a retriable error.</summary>
    public int Attempts { get; set; }

    /// <summary>Not to be sent before this TimeProvider timestamp (retry backoff).</summary>
    public long RetryAt { get; set; }

    /// <summary>Whether any request carried this batch (its outcome may be unknown after a failure).</summary>
    public bool WasSent { get; set; }

    /// <summary>The last error that made this batch retry, for the message when it finally fails.</summary>
    public Exception? LastError { get; set; }

    public int SlotCount { get; private set; }

    public ReadOnlySpan<MessageSlot> Slots => _slots.AsSpan(0, SlotCount);

    /// <summary>The sealed batch bytes (valid once closed).</summary>
    public ReadOnlyMemory<byte> Bytes => Buffer.WrittenMemory;

    /// <summary>The batch's size so far: exact once closed; before, its uncompressed size.</summary>
    public int Size => IsClosed ? Buffer.Position : (_magic == MagicV2 ? _builder!.SizeInBytes : _legacy!.SizeInBytes);

    /// <summary>Starts the batch in its buffer, writing through <paramref name="queue"/>'s builder until it is closed.</summary>
    public void Begin(PartitionQueue queue, long number, long createdAt, byte magic, CompressionType compression, int? compressionLevel,
        long producerId, short producerEpoch, int baseSequence, int identityGeneration, bool transactional = false)
    {
        Number = number;
        CreatedAt = createdAt;
        Count = 0;
        SlotCount = 0;
        IsClosed = false;
        Attempts = 0;
        RetryAt = 0;
        WasSent = false;
        LastError = null;
        _magic = magic;
        _compression = compression;
        Buffer.Reset();
        if (magic == MagicV2)
        {
            ProducerId = producerId;
            ProducerEpoch = producerEpoch;
            BaseSequence = baseSequence;
            IdentityGeneration = identityGeneration;
            _builder = queue.Builder;
            _builder.Begin(Buffer, new RecordBatchSettings
            {
                Compression = compression,
                CompressionLevel = compressionLevel,
                ProducerId = producerId,
                ProducerEpoch = producerEpoch,
                BaseSequence = baseSequence,
                IsTransactional = transactional,
            });
        }
        else
        {
            ProducerId = -1;
            ProducerEpoch = -1;
            BaseSequence = -1;
            IdentityGeneration = 0;
            _legacy = queue.LegacyBuilder;
            _legacy.Begin(Buffer, magic, compression, compressionLevel);
        }
    }

    /// <summary>
    /// The batch's worst-case size once closed if this record joined it: exact for uncompressed batches, the codec's
    /// bound for compressed ones.
    /// </summary>
    public long SizeWith(long timestamp, int keyLength, int valueLength, ReadOnlySpan<KafkaHeader> headers)
    {
        if (_magic == MagicV2)
        {
            long records = _builder!.SizeInBytes - BatchHeaderSize + _builder.SizeOfNextRecord(timestamp, keyLength, valueLength, headers);
            return BatchHeaderSize + Compressed(records);
        }
        long messages = _legacy!.SizeInBytes + MessageSetBuilder.MessageSize(_magic, keyLength, valueLength);
        return _compression == CompressionType.None ? messages : LegacyWrapperOverhead(_magic) + Compressed(messages);
    }

    /// <summary>A bound of the size a batch holding only this record can have (for the too-large check).</summary>
    public static long SizeAlone(byte magic, CompressionType compression, int keyLength, int valueLength, ReadOnlySpan<KafkaHeader> headers)
    {
        if (magic == MagicV2)
        {
            var record = RecordBatchBuilder.EstimateRecordSize(keyLength, valueLength, headers);
            return BatchHeaderSize + (compression == CompressionType.None ? record : (long)Compression.MaxCompressedLength(compression, record));
        }
        long message = MessageSetBuilder.MessageSize(magic, keyLength, valueLength);
        return compression == CompressionType.None ? message : LegacyWrapperOverhead(magic) + Compression.MaxCompressedLength(compression, (int)Math.Min(message, int.MaxValue));
    }

    private long Compressed(long size) =>
        _compression == CompressionType.None ? size : Compression.MaxCompressedLength(_compression, (int)Math.Min(size, int.MaxValue));

    // A compressed legacy set is one wrapper message: offset, size, crc, magic, attributes, [timestamp], null key, value length.
    private static int LegacyWrapperOverhead(byte magic) => LogOverhead + (magic == MagicV0 ? LegacyMinMessageSizeV0 : LegacyMinMessageSizeV1);

    /// <summary>Appends a record; returns its index in the batch.</summary>
    public int Append(long timestamp, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, ReadOnlySpan<KafkaHeader> headers)
    {
        if (_magic == MagicV2)
        {
            _builder!.Append(timestamp, key, value, headers, keyIsNull, valueIsNull);
        }
        else
        {
            _legacy!.Append(timestamp, key, value, keyIsNull, valueIsNull);
        }
        return Count++;
    }

    public void AddSlot(in MessageSlot slot)
    {
        if (SlotCount == _slots.Length)
        {
            Array.Resize(ref _slots, Math.Max(16, _slots.Length * 2));
        }
        _slots[SlotCount++] = slot;
    }

    /// <summary>Compresses (when asked) and seals the batch: lengths, offsets, timestamps and checksum.</summary>
    public void Close()
    {
        if (_magic == MagicV2)
        {
            _builder!.Complete();
        }
        else
        {
            _legacy!.Complete();
        }
        _builder = null;
        _legacy = null;
        IsClosed = true;
    }

    /// <summary>
    /// Gives the batch a new producer id, epoch and base sequence (after the producer id was obtained or its epoch
    /// bumped). A sealed batch gets its checksum recomputed; an open one is sealed later anyway.
    /// </summary>
    public void Restamp(long producerId, short producerEpoch, int baseSequence, int identityGeneration)
    {
        if (_magic != MagicV2)
        {
            return;
        }
        ProducerId = producerId;
        ProducerEpoch = producerEpoch;
        BaseSequence = baseSequence;
        IdentityGeneration = identityGeneration;
        Buffer.PatchInt64(ProducerIdOffset, producerId);
        Buffer.PatchInt16(ProducerEpochOffset, producerEpoch);
        Buffer.PatchInt32(BaseSequenceOffset, baseSequence);
        if (IsClosed)
        {
            Buffer.PatchInt32(CrcOffset, (int)Crc32C.Compute(Buffer.WrittenSince(AttributesOffset)));
        }
    }

    /// <summary>
    /// Unbinds an open batch that is being dropped (failed before it was sealed) from its partition's builder, so the
    /// partition can begin the next batch. Call under the partition's lock.
    /// </summary>
    public void Detach()
    {
        _builder?.Reset();
        _legacy?.Reset();
        _builder = null;
        _legacy = null;
    }

    /// <summary>Drops references to callers' memory and completions, ready for the pool.</summary>
    public void Clear()
    {
        Array.Clear(_slots, 0, SlotCount);
        SlotCount = 0;
        Count = 0;
        LastError = null;
        _builder = null;
        _legacy = null;
        Buffer.Reset();
    }

    public void Dispose()
    {
        Clear();
        Buffer.Dispose();
    }
}
