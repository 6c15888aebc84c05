namespace OpenTelemetry;

/// <summary>Names subscribed to besides the client's own.</summary>
internal static class KafkaInstrumentationNames
{
    /// <summary>The hosting layer's own activity source and meter (Kafka.Hosting's KafkaClientDiagnostics), which this package does not reference.</summary>
    public const string HostingName = "Kafka.Hosting";
}
