namespace Kafka.Client;

/// <summary>
/// A broker did not answer within the configured timeout (<see cref="KafkaClientOptions.SocketTimeout"/> or
/// <see cref="KafkaClientOptions.OffsetsChannelSocketTimeout"/>), or a connection could not be set up in time.
/// The connection is closed, so a late answer cannot be confused with a later request's. Retriable.
/// </summary>
public sealed class KafkaTimeoutException : KafkaException
{
    /// <summary>Creates a timeout error.</summary>
    public KafkaTimeoutException(string message, TimeSpan timeout, Exception? innerException = null)
        : base(message, isRetriable: true, innerException) => Timeout = timeout;

    /// <summary>The timeout that elapsed.</summary>
    public TimeSpan Timeout { get; }
}
