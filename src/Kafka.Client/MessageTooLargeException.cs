namespace Kafka.Client;

/// <summary>
/// A message cannot be sent because, with the record batch and request framing around it, it would exceed
/// <see cref="ProducerOptions.MaxRequestSize"/> (pykafka's <c>MessageSizeTooLarge</c> delivery error, raised here
/// when the message is produced). Only that message is refused; the producer goes on. Not retriable.
/// </summary>
public sealed class MessageTooLargeException : KafkaException
{
    /// <summary>Creates the error for a message needing <paramref name="requestSize"/> bytes.</summary>
    public MessageTooLargeException(long requestSize, int maxRequestSize)
        : base($"The message needs a produce request of at least {requestSize} bytes, more than MaxRequestSize ({maxRequestSize} bytes).", isRetriable: false)
    {
        RequestSize = requestSize;
        MaxRequestSize = maxRequestSize;
    }

    /// <summary>The size of the smallest produce request that could carry the message.</summary>
    public long RequestSize { get; }

    /// <summary>The limit it exceeds.</summary>
    public int MaxRequestSize { get; }
}
