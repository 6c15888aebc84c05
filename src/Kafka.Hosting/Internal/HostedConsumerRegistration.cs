namespace Kafka.Hosting.Internal;

/// <summary>One <c>AddConsumer</c> registration: its options name, client, topic and group.</summary>
internal sealed record HostedConsumerRegistration(string Name, string ClientName, string Topic, string Group, Type HandlerType);
