using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kafka.Hosting.Samples;

/// <summary>
/// The samples' OpenTelemetry wiring: the Kafka client's spans and metrics (AddKafkaInstrumentation), exported as
/// <c>Sample:Telemetry:Exporter</c> says: <c>console</c>, <c>otlp</c> (to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, or
/// <c>Sample:Telemetry:OtlpEndpoint</c>), or <c>none</c>. With an OTLP endpoint configured, OTLP is the default.
/// </summary>
internal static class SampleTelemetry
{
    public static void Add(IServiceCollection services, IConfiguration configuration, string serviceName, Action<TracerProviderBuilder>? tracing = null)
    {
        var endpoint = configuration["Sample:Telemetry:OtlpEndpoint"] ?? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var exporter = configuration["Sample:Telemetry:Exporter"] ?? (endpoint is null ? "none" : "otlp");
        if (string.Equals(exporter, "none", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        var otlp = string.Equals(exporter, "otlp", StringComparison.OrdinalIgnoreCase);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(builder =>
            {
                builder.AddKafkaInstrumentation();
                tracing?.Invoke(builder);
                if (otlp)
                {
                    builder.AddOtlpExporter(o => o.Endpoint = endpoint is null ? o.Endpoint : new Uri(endpoint));
                }
                else
                {
                    builder.AddConsoleExporter();
                }
            })
            .WithMetrics(builder =>
            {
                builder.AddKafkaInstrumentation();
                if (otlp)
                {
                    builder.AddOtlpExporter(o => o.Endpoint = endpoint is null ? o.Endpoint : new Uri(endpoint));
                }
                else
                {
                    builder.AddConsoleExporter();
                }
            });
    }
}
