namespace Kafka.Hosting;

/// <summary>Which messages a hosted consumer keeps in order while it handles messages side by side (<see cref="HostedConsumerOptions.Ordering"/>).</summary>
public enum MessageOrdering
{
    /// <summary>
    /// One message at a time per partition, in offset order; partitions side by side. What every Kafka consumer
    /// promises, and the default.
    /// </summary>
    Partition,

    /// <summary>
    /// Messages with equal keys one at a time in offset order; messages of one partition with different keys side by
    /// side (the "parallel consumer" model), so a partition's throughput is not bound by one handler at a time. Messages
    /// without a key count as having the same key.
    /// </summary>
    Key,

    /// <summary>
    /// No order: any messages side by side, up to <see cref="HostedConsumerOptions.MaxConcurrency"/>. Commits still
    /// never pass a message that is not handled.
    /// </summary>
    None,
}
