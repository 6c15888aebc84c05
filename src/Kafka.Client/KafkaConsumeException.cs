namespace Kafka.Client;

/// <summary>
/// A partition cannot be consumed further: a corrupt batch (CRC mismatch, unknown compression codec, malformed
/// records), or an error the broker will keep returning (an authorization failure, a batch too large to fetch). The
/// consumer raises it once, after the partition's messages before <see cref="Offset"/>, and keeps consuming the other
/// partitions; the failed one is fetched again only after its offset is reset (for example past the bad batch).
/// </summary>
public sealed class KafkaConsumeException : KafkaException
{
    /// <summary>Creates the error for one partition.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="partitionId">The partition.</param>
    /// <param name="offset">The offset consumption stopped at (the next offset that would have been delivered).</param>
    /// <param name="errorCode">The broker's error code, or <see cref="KafkaErrorCode.CorruptMessage"/> for data that failed to decode.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The decoding error, if any.</param>
    public KafkaConsumeException(string topic, int partitionId, long offset, KafkaErrorCode errorCode, string message, Exception? innerException = null)
        : base(message, isRetriable: false, innerException)
    {
        Topic = topic;
        PartitionId = partitionId;
        Offset = offset;
        ErrorCode = errorCode;
    }

    /// <summary>The topic.</summary>
    public string Topic { get; }

    /// <summary>The partition that stopped.</summary>
    public int PartitionId { get; }

    /// <summary>The offset consumption stopped at: the next message would have been at or after it.</summary>
    public long Offset { get; }

    /// <summary>The broker's error code, or <see cref="KafkaErrorCode.CorruptMessage"/> for records that failed to decode.</summary>
    public KafkaErrorCode ErrorCode { get; }
}
