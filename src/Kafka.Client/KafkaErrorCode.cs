namespace Kafka.Client;

/// <summary>The error codes Kafka brokers return, by their protocol names.</summary>
/// <remarks>Placeholder list; the full table is generated from the Kafka protocol's error list.</remarks>
public enum KafkaErrorCode : short
{
    /// <summary>The server experienced an unexpected error when processing the request.</summary>
    UnknownServerError = -1,

    /// <summary>No error.</summary>
    None = 0,

    /// <summary>Unknown topic or partition.</summary>
    UnknownTopicOrPartition = 3,

    /// <summary>No leader.</summary>
    LeaderNotAvailable = 5,

    /// <summary>The version of API is not supported.</summary>
    UnsupportedVersion = 35,
}
