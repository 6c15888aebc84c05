namespace Kafka.Client;

/// <summary>
/// The producer was disposed (pykafka's <c>ProducerStoppedException</c>): it refuses new messages, and messages
/// still undelivered when <see cref="ProducerOptions.PendingTimeout"/> ran out (or whose client was disposed) fail
/// with this error. Not retriable on the same producer.
/// </summary>
public sealed class ProducerDisposedException : KafkaException
{
    /// <summary>Creates the error with a message that says what was refused or lost.</summary>
    public ProducerDisposedException(string message, Exception? innerException = null)
        : base(message, isRetriable: false, innerException)
    {
    }
}
