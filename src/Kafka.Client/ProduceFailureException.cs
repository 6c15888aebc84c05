namespace Kafka.Client;

/// <summary>
/// A message was not delivered (pykafka's <c>ProduceFailureError</c>): the broker refused it with an error that
/// retrying cannot fix, its retries or <see cref="ProducerOptions.DeliveryTimeout"/> ran out, or its partition
/// disappeared. <see cref="ErrorCode"/> is the broker's error code when one was given; the cause (a lost
/// connection, a timeout) is the inner exception otherwise.
/// </summary>
public sealed class ProduceFailureException : KafkaException
{
    /// <summary>Creates a failure for a message of <paramref name="topic"/>/<paramref name="partition"/>.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="topic">The topic.</param>
    /// <param name="partition">The partition, or -1 when none was chosen.</param>
    /// <param name="errorCode">The broker's error code, or <see cref="KafkaErrorCode.None"/> for failures on the client's side.</param>
    /// <param name="innerException">The cause, if any.</param>
    public ProduceFailureException(string message, string topic, int partition, KafkaErrorCode errorCode, Exception? innerException = null)
        : base(message, errorCode != KafkaErrorCode.None ? KafkaErrors.IsRetriable(errorCode) : innerException is KafkaException { IsRetriable: true }, innerException)
    {
        Topic = topic;
        Partition = partition;
        ErrorCode = errorCode;
    }

    /// <summary>The topic of the message.</summary>
    public string Topic { get; }

    /// <summary>The partition of the message, or -1.</summary>
    public int Partition { get; }

    /// <summary>The broker's error code, or <see cref="KafkaErrorCode.None"/> when the failure happened on the client's side.</summary>
    public KafkaErrorCode ErrorCode { get; }
}
