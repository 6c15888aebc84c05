namespace Kafka.Client.Protocol.Records;

/// <summary>
/// The header of the batch a <see cref="RecordSetReader"/> is positioned on. A legacy (magic 0/1) message or
/// compressed wrapper reads as a batch too, with no producer id, sequence or transaction flags.
/// </summary>
internal readonly struct RecordBatchInfo
{
    public long BaseOffset { get; init; }

    /// <summary>The offset of the batch's last record as written; after compaction records may be missing below it.</summary>
    public long LastOffset { get; init; }

    public byte Magic { get; init; }

    public CompressionType Compression { get; init; }

    public TimestampType TimestampType { get; init; }

    public bool IsTransactional { get; init; }

    /// <summary>A control batch (transaction commit or abort markers): consumers skip its records.</summary>
    public bool IsControl { get; init; }

    public int PartitionLeaderEpoch { get; init; }

    /// <summary>The first record's timestamp (v2), -1 for legacy sets.</summary>
    public long BaseTimestamp { get; init; }

    public long MaxTimestamp { get; init; }

    public long ProducerId { get; init; }

    public short ProducerEpoch { get; init; }

    public int BaseSequence { get; init; }

    /// <summary>The records the batch holds, which can be fewer than <c>LastOffset - BaseOffset + 1</c>.</summary>
    public int RecordCount { get; init; }

    /// <summary>The batch's size in the fetched bytes, offset and length fields included.</summary>
    public int SizeInBytes { get; init; }
}
