namespace Kafka.Client.Admin;

/// <summary>What a configuration belongs to (Kafka's resource type ids).</summary>
public enum ConfigResourceType : sbyte
{
    /// <summary>A topic, by name.</summary>
    Topic = 2,

    /// <summary>A broker, by id (or an empty name for the cluster-wide default).</summary>
    Broker = 4,

    /// <summary>A broker's log levels, by broker id.</summary>
    BrokerLogger = 8,
}
