namespace Kafka.Hosting;

/// <summary>
/// Names of the telemetry Kafka clients registered with <c>AddKafkaClient</c> emit, for OpenTelemetry
/// (<c>AddMeter(KafkaClientDiagnostics.MeterName)</c>, <c>AddSource(KafkaClientDiagnostics.ActivitySourceName)</c>),
/// dashboards and log filters.
/// </summary>
public static class KafkaClientDiagnostics
{
    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> every instrument below belongs to.</summary>
    public const string MeterName = "Kafka.Hosting";

    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> of request and refresh spans.</summary>
    public const string ActivitySourceName = "Kafka.Hosting";

    /// <summary>The log category of the background refresh.</summary>
    public const string RefreshLogCategory = "Kafka.Hosting.MetadataRefresh";

    /// <summary>The name of the default client's health check.</summary>
    public const string DefaultHealthCheckName = "kafka";

    /// <summary>Counter: metadata refreshes attempted by the background service.</summary>
    public const string MetadataRefreshes = "kafka.client.metadata.refreshes";

    /// <summary>Counter: metadata refreshes that failed (every broker and seed was tried).</summary>
    public const string MetadataRefreshFailures = "kafka.client.metadata.refresh.failures";

    /// <summary>Histogram, seconds: how long each metadata refresh took.</summary>
    public const string MetadataRefreshDuration = "kafka.client.metadata.refresh.duration";

    /// <summary>Gauge: the brokers the client's latest metadata lists.</summary>
    public const string KnownBrokers = "kafka.client.brokers";

    /// <summary>Up-down counter: TCP connections to brokers open now.</summary>
    public const string OpenConnections = "kafka.client.connections";

    /// <summary>Histogram, seconds: request/response round trips, tagged by API (<c>kafka.api</c>).</summary>
    public const string RequestDuration = "kafka.client.request.duration";

    /// <summary>Tag: the client's name (<c>default</c> for the default client).</summary>
    public const string ClientNameTag = "kafka.client.name";

    /// <summary>Tag: the Kafka API of a request (<c>Metadata</c>, <c>ListOffsets</c>...).</summary>
    public const string ApiTag = "kafka.api";

    /// <summary>Tag: the traffic class of a connection (<c>General</c>, <c>Produce</c>, <c>Fetch</c>...).</summary>
    public const string ConnectionKindTag = "kafka.connection.kind";

    /// <summary>Tag: the type of the error a request or refresh failed with; absent on success.</summary>
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
