namespace Kafka.Client;

/// <summary>
/// A transaction operation of a <see cref="TransactionalProducer"/> failed. When <see cref="RequiresAbort"/> is true
/// the transaction can no longer commit (a message failed, a partition or the offsets could not join it, the
/// coordinator aborted it, for example after <see cref="ProducerOptions.TransactionTimeout"/>): call
/// <see cref="TransactionalProducer.AbortTransactionAsync"/>, after which the producer is usable again. Otherwise the
/// operation itself was refused (a configuration the broker rejects, a call out of order) and the transaction, if any,
/// is as it was.
/// </summary>
public sealed class KafkaTransactionException : KafkaException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and why.</param>
    /// <param name="requiresAbort">Whether the transaction must be aborted before the producer goes on.</param>
    /// <param name="errorCode">The broker's error code, or <see cref="KafkaErrorCode.None"/> when the failure was not a broker's answer.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public KafkaTransactionException(string message, bool requiresAbort, KafkaErrorCode errorCode = KafkaErrorCode.None, Exception? innerException = null)
        : base(message, isRetriable: false, innerException)
    {
        RequiresAbort = requiresAbort;
        ErrorCode = errorCode;
    }

    /// <summary>Whether the transaction must be aborted (<see cref="TransactionalProducer.AbortTransactionAsync"/>) before the producer goes on.</summary>
    public bool RequiresAbort { get; }

    /// <summary>The broker's error code, or <see cref="KafkaErrorCode.None"/>.</summary>
    public KafkaErrorCode ErrorCode { get; }
}
