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

    /// <summary>
    /// Produces the message (key, value, headers and timestamp, plus <c>dlq.*</c> headers saying where it came from
    /// and why it failed) to <see cref="HostedConsumerOptions.DeadLetterTopic"/>, waits for the brokers to acknowledge
    /// it, and only then commits past it (at least once). If the dead-letter produce fails, logs an error and stops
    /// the partition as <see cref="StopPartition"/> does.
    /// </summary>
    DeadLetter,
}
