namespace Kafka.Client;

/// <summary>
/// The producer already holds <see cref="ProducerOptions.MaxQueuedMessages"/> undelivered messages and
/// <see cref="ProducerOptions.BlockOnQueueFull"/> is off (pykafka's <c>ProducerQueueFullError</c>). Retriable: once
/// messages are delivered there is room again.
/// </summary>
public sealed class ProducerQueueFullException : KafkaException
{
    /// <summary>Creates the error for a queue of <paramref name="maxQueuedMessages"/> messages.</summary>
    public ProducerQueueFullException(int maxQueuedMessages)
        : base($"The producer queue is full: {maxQueuedMessages} messages (MaxQueuedMessages) are waiting to be delivered.", isRetriable: true)
        => MaxQueuedMessages = maxQueuedMessages;

    /// <summary>The queue's capacity.</summary>
    public int MaxQueuedMessages { get; }
}
