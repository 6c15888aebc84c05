namespace Kafka.Testing;

/// <summary>
/// A <see cref="MockKafkaCluster"/> operation that librdkafka refused, or a cluster that could not be created.
/// <see cref="ErrorCode"/> and <see cref="ErrorName"/> carry librdkafka's error when it gave one.
/// </summary>
public sealed class MockKafkaClusterException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public MockKafkaClusterException()
        : this("The mock Kafka cluster operation failed.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public MockKafkaClusterException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public MockKafkaClusterException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for a librdkafka error code returned by a mock cluster function.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="errorCode">The rd_kafka_resp_err_t value: a Kafka protocol error (positive) or a librdkafka-internal one (negative).</param>
    /// <param name="errorName">librdkafka's name for the error, e.g. <c>UNKNOWN_TOPIC_OR_PART</c>.</param>
    public MockKafkaClusterException(string message, int errorCode, string errorName)
        : base(message)
    {
        ErrorCode = errorCode;
        ErrorName = errorName;
    }

    /// <summary>
    /// The rd_kafka_resp_err_t librdkafka returned: a Kafka protocol error code when positive, a librdkafka-internal
    /// error when negative; 0 when the failure did not come with an error code.
    /// </summary>
    public int ErrorCode { get; }

    /// <summary>librdkafka's name for <see cref="ErrorCode"/> (e.g. <c>BROKER_NOT_AVAILABLE</c>), or null.</summary>
    public string? ErrorName { get; }
}
