namespace Kafka.Client;

/// <summary>A broker answered a request with a Kafka error code.</summary>
public class KafkaBrokerException : KafkaException
{
    /// <summary>Creates an error for <paramref name="errorCode"/>; retriable as the code is.</summary>
    public KafkaBrokerException(KafkaErrorCode errorCode, string message, Exception? innerException = null)
        : base(message, KafkaErrors.IsRetriable(errorCode), innerException) => ErrorCode = errorCode;

    /// <summary>The error code the broker returned.</summary>
    public KafkaErrorCode ErrorCode { get; }
}
