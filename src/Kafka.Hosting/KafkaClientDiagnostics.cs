namespace Kafka.Hosting;

/// <summary>
/// Names of what the hosting layer itself emits, for OpenTelemetry, dashboards and log filters. The clients' own
/// traces and metrics (requests, connections, metadata refreshes) are Kafka.Client's: see
/// <see cref="Kafka.Client.KafkaTelemetry"/> (<c>AddSource("Kafka.Client")</c>, <c>AddMeter("Kafka.Client")</c>).
/// </summary>
public static class KafkaClientDiagnostics
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> name kept for what the hosting layer would measure itself; nothing is emitted on it today.</summary>
    public const string MeterName = "Kafka.Hosting";

    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> name kept for spans of the hosting layer's own; none are started today.</summary>
    public const string ActivitySourceName = "Kafka.Hosting";

    /// <summary>
    /// The log category of a client's background metadata refresh (the client's own, <c>Kafka.Client.MetadataRefresh</c>)
    /// and of the wait for the cluster at start.
    /// </summary>
    public const string RefreshLogCategory = "Kafka.Client.MetadataRefresh";

    /// <summary>The name of the default client's health check.</summary>
    public const string DefaultHealthCheckName = "kafka";

    /// <summary>Tag: the registered client's name (<c>default</c> for the default client).</summary>
    public const string ClientNameTag = "kafka.client.name";

    /// <summary>Tag: the type of the error an operation failed with; absent on success.</summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>The name of the health check of the client named <paramref name="clientName"/>.</summary>
    /// <param name="clientName">The client's name; empty for the default client.</param>
    /// <returns><c>kafka</c> for the default client, <c>kafka-{name}</c> otherwise.</returns>
    public static string GetHealthCheckName(string clientName)
    {
        ArgumentNullException.ThrowIfNull(clientName);
        return clientName.Length == 0 ? DefaultHealthCheckName : $"{DefaultHealthCheckName}-{clientName}";
    }

    internal static string DisplayName(string clientName) => clientName.Length == 0 ? "default" : clientName;
}
