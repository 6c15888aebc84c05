using Kafka.Client;

namespace Kafka.Hosting.Internal;

/// <summary>A producer registered with <c>AddProducer</c>: its key, its client, its topic and how to make its options.</summary>
internal sealed record KafkaProducerRegistration(string Name, string ClientName, string Topic, Func<IServiceProvider, ProducerOptions> Options);
