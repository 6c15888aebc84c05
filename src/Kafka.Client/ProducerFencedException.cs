namespace Kafka.Client;

/// <summary>
/// A newer producer with the same <see cref="ProducerOptions.TransactionalId"/> took over (PRODUCER_FENCED or
/// INVALID_PRODUCER_EPOCH), or the transactional id is not authorized: this producer can do no more work. Every later
/// call fails with this exception and queued messages fail with it. Dispose the producer; its successor (the producer
/// that fenced it) owns the transactional id. Not retriable.
/// </summary>
public sealed class ProducerFencedException : KafkaException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened, naming the transactional id and the broker's error.</param>
    /// <param name="errorCode">The broker's error code.</param>
    /// <param name="innerException">The error that revealed the fencing, if any.</param>
    public ProducerFencedException(string message, KafkaErrorCode errorCode, Exception? innerException = null)
        : base(message, isRetriable: false, innerException) => ErrorCode = errorCode;

    /// <summary>The broker's error: PRODUCER_FENCED, INVALID_PRODUCER_EPOCH or TRANSACTIONAL_ID_AUTHORIZATION_FAILED.</summary>
    public KafkaErrorCode ErrorCode { get; }
}
