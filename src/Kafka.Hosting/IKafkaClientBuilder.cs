using Microsoft.Extensions.DependencyInjection;

namespace Kafka.Hosting;

/// <summary>
/// Returned by <c>AddKafkaClient</c> to configure one registered client further (resilience, hosting options,
/// health checks).
/// </summary>
public interface IKafkaClientBuilder
{
    /// <summary>The client's name: empty for the default client, otherwise its service key.</summary>
    string Name { get; }

    /// <summary>The services the client is registered in.</summary>
    IServiceCollection Services { get; }
}
