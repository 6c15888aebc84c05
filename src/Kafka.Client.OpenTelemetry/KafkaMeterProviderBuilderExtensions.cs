using Kafka.Client;

namespace OpenTelemetry.Metrics;

/// <summary>Adds the Kafka client's metrics to an OpenTelemetry meter provider.</summary>
public static class KafkaMeterProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes to the Kafka client's metrics: messages and bytes sent and consumed, send, commit and process
    /// durations, producer queue depth and batch sizes, consumer lag per partition, rebalances, request durations by
    /// API and broker, connections and metadata refreshes (see docs/telemetry.md for every instrument and unit).
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static MeterProviderBuilder AddKafkaInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(KafkaTelemetry.MeterName, KafkaInstrumentationNames.HostingName);
    }
}
