namespace Kafka.Hosting;

/// <summary>
/// What a hosted consumer does with a message (or a batch) whose handler still fails after the handler pipeline's
/// retries, or whose key or value cannot be deserialized. Other partitions go on in every case.
/// </summary>
public enum HandlerFailurePolicy
{
    /// <summary>
    /// Logs an error and stops consuming the message's partition (the other partitions go on; with
    /// <see cref="MessageOrdering.Key"/> or <see cref="MessageOrdering.None"/>, messages of the partition already being
    /// handled finish). Its committed offset stays before the message, so the partition resumes with it after the next
    /// rebalance or restart. The health check reports the partition as Degraded meanwhile.
    /// </summary>
    StopPartition,

    /// <summary>Logs an error and counts the message as handled, so it is committed past: it is not handled (at most once for that message).</summary>
    SkipMessage,

    /// <summary>
    /// Produces the message (key, value, headers and timestamp, as consumed, plus <c>dlq.*</c> headers saying where it
    /// came from and why it failed) to <see cref="HostedConsumerOptions.DeadLetterTopic"/>, waits for the brokers to
    /// acknowledge it, and only then counts it as handled (at least once). If the dead-letter produce fails, logs an
    /// error and stops the partition as <see cref="StopPartition"/> does.
    /// </summary>
    DeadLetter,
}
