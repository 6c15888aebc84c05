using Microsoft.Extensions.DependencyInjection;

namespace Kafka.Hosting.Internal;

internal sealed record KafkaClientBuilder(string Name, IServiceCollection Services) : IKafkaClientBuilder;
