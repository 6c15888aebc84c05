using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kafka.Hosting.Samples;

/// <summary>The worker sample's host, built here so tests can start the same host the program runs.</summary>
public static class WorkerSample
{
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        // The sample's own folder, not the current directory, so that its appsettings.json is found from anywhere.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var embedded = EmbeddedKafka.UseIfNoHostsConfigured(builder.Configuration, builder.Services);
        var kafka = builder.Services.AddKafkaClient()
            .AddHealthCheck()
            // A member of group "worker-sample" on "orders": each message goes to an OrderLogger, then is committed.
            .AddConsumer<OrderLogger>("orders", "worker-sample");
        builder.Services.AddHostedService<ClusterWatcher>();
        // Traces (a process span per handled message, continuing the producer's trace) and metrics, when configured:
        // --Sample:Telemetry:Exporter=console, or an OTLP endpoint (see SampleTelemetry).
        SampleTelemetry.Add(builder.Services, builder.Configuration, "kafka-hosting-worker-sample");
        if (embedded)
        {
            // Alone on its embedded cluster the worker would have nothing to receive: it produces a few orders itself.
            kafka.AddProducer(SampleOrders.ProducerName, "orders");
            builder.Services.AddHostedService<SampleOrders>();
        }
        return builder;
    }
}
