namespace Kafka.Client;

/// <summary>
/// The broker and this client have no version of a Kafka API in common: the broker is older than the client's
/// floor for that API, or <see cref="KafkaClientOptions.BrokerVersion"/> names a release that lacks it.
/// Not retriable.
/// </summary>
public sealed class KafkaVersionException : KafkaException
{
    /// <summary>Creates a version error that says which API and which version ranges did not meet.</summary>
    public KafkaVersionException(string message) : base(message, isRetriable: false) { }
}
