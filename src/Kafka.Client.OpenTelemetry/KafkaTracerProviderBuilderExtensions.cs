using Kafka.Client;

namespace OpenTelemetry.Trace;

/// <summary>Adds the Kafka client's spans to an OpenTelemetry tracer provider.</summary>
public static class KafkaTracerProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes to the Kafka client's spans: <c>send {topic}</c> per produced message, <c>process {topic}</c> per
    /// handled message or batch (parented by the context the producer carried in the message's headers), and metadata
    /// refreshes (plus one span per protocol request with <see cref="KafkaClientOptions.TraceRequests"/>).
    /// </summary>
    /// <param name="builder">The tracer provider builder.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static TracerProviderBuilder AddKafkaInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(KafkaTelemetry.ActivitySourceName, KafkaInstrumentationNames.HostingName);
    }
}
