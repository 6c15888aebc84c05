namespace Kafka.Client;

/// <summary>A high-level client for a Kafka cluster (placeholder; the engine lands with the cluster layer).</summary>
public sealed class KafkaClient
{
    /// <summary>The topics of the cluster.</summary>
    public object? Topics => null;
}
