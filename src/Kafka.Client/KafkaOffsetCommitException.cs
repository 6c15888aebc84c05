namespace Kafka.Client;

/// <summary>
/// Offsets could not be committed (or read) for a consumer group, after the retries the consumer allows
/// (<see cref="ConsumerOptions.OffsetsCommitMaxRetries"/>), or at once for an error retrying cannot fix.
/// Unlike pykafka, which gave up silently, the failure is raised: the offsets are not stored.
/// </summary>
public sealed class KafkaOffsetCommitException : KafkaException
{
    /// <summary>Creates the error.</summary>
    /// <param name="groupId">The consumer group.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="failedPartitions">The partitions that failed, each with its last error.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="isRetriable">Whether trying again later may succeed.</param>
    /// <param name="innerException">The last error, when it was not a per-partition code.</param>
    public KafkaOffsetCommitException(string groupId, string topic, IReadOnlyDictionary<int, KafkaErrorCode> failedPartitions, string message,
        bool isRetriable, Exception? innerException = null)
        : base(message, isRetriable, innerException)
    {
        GroupId = groupId;
        Topic = topic;
        FailedPartitions = failedPartitions;
    }

    /// <summary>The consumer group.</summary>
    public string GroupId { get; }

    /// <summary>The topic.</summary>
    public string Topic { get; }

    /// <summary>The partitions whose offsets were not stored, each with its last error code (<see cref="KafkaErrorCode.None"/> when the request as a whole failed).</summary>
    public IReadOnlyDictionary<int, KafkaErrorCode> FailedPartitions { get; }
}
