using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kafka.Hosting.Samples;

/// <summary>The worker sample's host, built here so tests can start the same host the program runs.</summary>
public static class WorkerSample
{
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        EmbeddedKafka.UseIfNoHostsConfigured(builder.Configuration, builder.Services);
        builder.Services.AddKafkaClient().AddHealthCheck();
        builder.Services.AddHostedService<ClusterWatcher>();
        return builder;
    }
}
