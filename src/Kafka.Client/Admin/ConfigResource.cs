namespace Kafka.Client.Admin;

/// <summary>A topic or broker whose configuration to describe or change.</summary>
/// <param name="Type">The kind of resource.</param>
/// <param name="Name">The topic name, or the broker id as text.</param>
public readonly record struct ConfigResource(ConfigResourceType Type, string Name)
{
    /// <summary>A topic's configuration.</summary>
    public static ConfigResource ForTopic(string name) => new(ConfigResourceType.Topic, name);

    /// <summary>A broker's configuration.</summary>
    public static ConfigResource ForBroker(int brokerId) => new(ConfigResourceType.Broker, brokerId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The resource as <c>topic:orders</c> or <c>broker:1</c>.</summary>
    public override string ToString() => $"{Type.ToString().ToLowerInvariant()}:{Name}";
}
