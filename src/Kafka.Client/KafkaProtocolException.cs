namespace Kafka.Client;

/// <summary>
/// A broker sent bytes that do not follow the Kafka protocol: a negative or oversized length, a truncated
/// frame, a correlation id that matches no request. The connection it came from is closed; requests that were
/// in flight on it fail with a retriable <see cref="KafkaConnectionException"/> carrying this one as the cause.
/// </summary>
public sealed class KafkaProtocolException : KafkaException
{
    /// <summary>Creates a protocol error with a message that says what was malformed.</summary>
    public KafkaProtocolException(string message) : base(message, isRetriable: false) { }

    /// <summary>Creates a protocol error caused by another error.</summary>
    public KafkaProtocolException(string message, Exception? innerException) : base(message, isRetriable: false, innerException) { }
}
