namespace Kafka.Client.Admin;

/// <summary>Where a configuration value comes from (Kafka's DescribeConfigs source ids).</summary>
public enum ConfigSource : sbyte
{
    /// <summary>The broker did not say.</summary>
    Unknown = 0,

    /// <summary>Set on the topic.</summary>
    DynamicTopic = 1,

    /// <summary>Set dynamically on this broker.</summary>
    DynamicBroker = 2,

    /// <summary>Set dynamically as the default of every broker.</summary>
    DynamicDefaultBroker = 3,

    /// <summary>From the broker's properties file.</summary>
    StaticBroker = 4,

    /// <summary>Kafka's built-in default.</summary>
    Default = 5,

    /// <summary>A broker logger's level.</summary>
    DynamicBrokerLogger = 6,

    /// <summary>A client metrics subscription.</summary>
    ClientMetrics = 7,

    /// <summary>Set on a group.</summary>
    Group = 8,
}
