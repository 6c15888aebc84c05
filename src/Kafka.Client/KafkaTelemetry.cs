namespace Kafka.Client;

/// <summary>
/// The names of the traces and metrics every <see cref="KafkaClient"/> emits, for OpenTelemetry
/// (<c>AddSource(KafkaTelemetry.ActivitySourceName)</c>, <c>AddMeter(KafkaTelemetry.MeterName)</c>), dashboards and
/// listeners. The client depends on no OpenTelemetry package: it uses <see cref="System.Diagnostics.ActivitySource"/>
/// and <see cref="System.Diagnostics.Metrics.Meter"/>, and does no work for them while nobody listens. Attribute names
/// follow the OpenTelemetry semantic conventions where they have one (<c>messaging.*</c>, <c>server.*</c>,
/// <c>error.type</c>); the <c>kafka.*</c> ones are this client's own. See docs/client.md.
/// </summary>
public static class KafkaTelemetry
{
    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> of every span the client starts.</summary>
    public const string ActivitySourceName = "Kafka.Client";

    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> every instrument below belongs to.</summary>
    public const string MeterName = "Kafka.Client";

    /// <summary>Span (internal): one metadata refresh of the client's background loop or of <see cref="KafkaClient.UpdateClusterAsync"/>.</summary>
    public const string MetadataRefreshSpan = "kafka.metadata.refresh";

    /// <summary>Histogram, seconds: request/response round trips to brokers, by API (<see cref="ApiTag"/>).</summary>
    public const string RequestDuration = "kafka.client.request.duration";

    /// <summary>Up-down counter: TCP connections to brokers open now, by traffic class (<see cref="ConnectionKindTag"/>).</summary>
    public const string OpenConnections = "kafka.client.connections";

    /// <summary>Counter: metadata refreshes started.</summary>
    public const string MetadataRefreshes = "kafka.client.metadata.refreshes";

    /// <summary>Counter: metadata refreshes that failed (every broker and seed was tried).</summary>
    public const string MetadataRefreshFailures = "kafka.client.metadata.refresh.failures";

    /// <summary>Histogram, seconds: how long each metadata refresh took.</summary>
    public const string MetadataRefreshDuration = "kafka.client.metadata.refresh.duration";

    /// <summary>Gauge: the brokers in each live client's latest metadata.</summary>
    public const string KnownBrokers = "kafka.client.brokers";

    /// <summary>Attribute on every span and measurement: <c>kafka</c> (OpenTelemetry's <c>messaging.system</c>).</summary>
    public const string SystemTag = "messaging.system";

    /// <summary>Attribute on every span and measurement: the client's <see cref="KafkaClientOptions.ClientId"/> (OpenTelemetry's <c>messaging.client.id</c>).</summary>
    public const string ClientIdTag = "messaging.client.id";

    /// <summary>Attribute: the Kafka API of a request (<c>Metadata</c>, <c>Fetch</c>, <c>Produce</c>...).</summary>
    public const string ApiTag = "kafka.api";

    /// <summary>Attribute: the traffic class of a connection (<c>General</c>, <c>Produce</c>, <c>Fetch</c>, <c>Group</c>, <c>OffsetsChannel</c>).</summary>
    public const string ConnectionKindTag = "kafka.connection.kind";

    /// <summary>Attribute: the type of the exception a request or refresh failed with; absent on success (OpenTelemetry's <c>error.type</c>).</summary>
    public const string ErrorTypeTag = "error.type";
}
