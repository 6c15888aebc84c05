namespace Kafka.Client.Protocol.Records;

/// <summary>The batch-level fields a <see cref="RecordBatchBuilder"/> writes; the defaults suit a plain producer.</summary>
internal readonly struct RecordBatchSettings
{
    public RecordBatchSettings()
    {
    }

    public CompressionType Compression { get; init; }

    /// <summary>The codec's level, or null for its default.</summary>
    public int? CompressionLevel { get; init; }

    /// <summary>-1 unless idempotent or transactional.</summary>
    public long ProducerId { get; init; } = -1;

    public short ProducerEpoch { get; init; } = -1;

    /// <summary>The sequence number of the first record, -1 unless idempotent.</summary>
    public int BaseSequence { get; init; } = -1;

    public bool IsTransactional { get; init; }

    /// <summary>Marks a control batch (transaction markers); only brokers write these, tests use it.</summary>
    public bool IsControl { get; init; }

    /// <summary>Producers send 0; the broker assigns real offsets.</summary>
    public long BaseOffset { get; init; }

    public int PartitionLeaderEpoch { get; init; } = -1;

    /// <summary>
    /// When set, the batch says its timestamps are the broker's log-append time and this is its max timestamp,
    /// as a broker writes it; producers leave it null (create time).
    /// </summary>
    public long? LogAppendTime { get; init; }
}
