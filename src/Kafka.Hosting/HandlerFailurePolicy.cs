namespace Kafka.Hosting;

/// <summary>What a hosted consumer does with a message whose handler still fails after the handler pipeline's retries.</summary>
public enum HandlerFailurePolicy
{
    /// <summary>
    /// Logs an error and stops consuming the message's partition (the other partitions go on). Its committed offset
    /// stays before the message, so the partition resumes with it after the next rebalance or restart.
    /// </summary>
    StopPartition,

    /// <summary>Logs an error and commits past the message: it is not handled (at most once for that message).</summary>
    SkipMessage,
}
