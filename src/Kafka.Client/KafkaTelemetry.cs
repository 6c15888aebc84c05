namespace Kafka.Client;

/// <summary>
/// The names of the traces and metrics every <see cref="KafkaClient"/> emits, for OpenTelemetry
/// (<c>AddSource(KafkaTelemetry.ActivitySourceName)</c>, <c>AddMeter(KafkaTelemetry.MeterName)</c>), dashboards and
/// listeners. The client depends on no OpenTelemetry package: it uses <see cref="System.Diagnostics.ActivitySource"/>
/// and <see cref="System.Diagnostics.Metrics.Meter"/>, and does no work for them while nobody listens. Span, metric and
/// attribute names follow the OpenTelemetry messaging semantic conventions v1.45.0 where they have one
/// (<c>messaging.*</c>, <c>kafka.offset</c>, <c>kafka.message.key</c>, <c>server.*</c>, <c>error.type</c>); the other
/// <c>kafka.*</c> names are this client's own. See docs/telemetry.md.
/// </summary>
public static partial class KafkaTelemetry
{
    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> of every span the client starts.</summary>
    public const string ActivitySourceName = "Kafka.Client";

    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> every instrument below belongs to.</summary>
    public const string MeterName = "Kafka.Client";

    /// <summary>Span (internal): one metadata refresh of the client's background loop or of <see cref="KafkaClient.UpdateClusterAsync"/>.</summary>
    public const string MetadataRefreshSpan = "kafka.metadata.refresh";

    /// <summary>Span (internal): a group member taking newly assigned partitions (offset lookups, the assigned callback).</summary>
    public const string PartitionsAssignedSpan = "kafka.consumer.partitions_assigned";

    /// <summary>Span (internal): a group member giving partitions up (the revoked callback and the commit of their offsets).</summary>
    public const string PartitionsRevokedSpan = "kafka.consumer.partitions_revoked";

    /// <summary>Span (internal): a group member dropping partitions it lost (the lost callback; nothing is committed).</summary>
    public const string PartitionsLostSpan = "kafka.consumer.partitions_lost";

    /// <summary>Attribute on rebalance spans: the group generation (or member epoch) the change belongs to.</summary>
    public const string GenerationTag = "kafka.consumer.generation";

    /// <summary>Attribute on rebalance spans: how many partitions were assigned, revoked or lost.</summary>
    public const string PartitionCountTag = "kafka.consumer.partition_count";

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

    /// <summary>Attribute on every span and measurement: <c>kafka</c> (OpenTelemetry's <c>messaging.system.name</c>).</summary>
    public const string SystemTag = "messaging.system.name";

    /// <summary>Attribute on every span and measurement: the client's <see cref="KafkaClientOptions.ClientId"/> (OpenTelemetry's <c>messaging.client.id</c>).</summary>
    public const string ClientIdTag = "messaging.client.id";

    /// <summary>Attribute: the Kafka API of a request (<c>Metadata</c>, <c>Fetch</c>, <c>Produce</c>...).</summary>
    public const string ApiTag = "kafka.api";

    /// <summary>Attribute: the traffic class of a connection (<c>General</c>, <c>Produce</c>, <c>Fetch</c>, <c>Group</c>, <c>OffsetsChannel</c>).</summary>
    public const string ConnectionKindTag = "kafka.connection.kind";

    /// <summary>
    /// Attribute: why an operation failed; absent on success (OpenTelemetry's <c>error.type</c>). The Kafka error code's
    /// name (<c>NOT_LEADER_OR_FOLLOWER</c>) on messaging spans and metrics when the broker gave one; otherwise the
    /// exception's type.
    /// </summary>
    public const string ErrorTypeTag = "error.type";

    /// <summary>Attribute: the broker a request went to (its node id).</summary>
    public const string BrokerIdTag = "kafka.broker.id";

    /// <summary>Attribute: the operation (<c>send</c>, <c>process</c>, <c>receive</c>, <c>commit</c>), OpenTelemetry's <c>messaging.operation.name</c>.</summary>
    public const string OperationNameTag = "messaging.operation.name";

    /// <summary>Attribute on spans: the operation's type (<c>send</c>, <c>receive</c>, <c>process</c>, <c>settle</c>), OpenTelemetry's <c>messaging.operation.type</c>.</summary>
    public const string OperationTypeTag = "messaging.operation.type";

    /// <summary>Attribute: the topic, OpenTelemetry's <c>messaging.destination.name</c>.</summary>
    public const string DestinationTag = "messaging.destination.name";

    /// <summary>Attribute: the partition id as a string, OpenTelemetry's <c>messaging.destination.partition.id</c>.</summary>
    public const string PartitionTag = "messaging.destination.partition.id";

    /// <summary>Attribute on single-message spans: the key when it is valid UTF-8 text (OpenTelemetry's <c>kafka.message.key</c>).</summary>
    public const string MessageKeyTag = "kafka.message.key";

    /// <summary>Attribute on single-message spans: the message's offset (OpenTelemetry's <c>kafka.offset</c>).</summary>
    public const string OffsetTag = "kafka.offset";

    /// <summary>Attribute on single-message spans: <see langword="true"/> for a tombstone (null value), absent otherwise.</summary>
    public const string TombstoneTag = "kafka.message.tombstone";

    /// <summary>Attribute: the consumer group, OpenTelemetry's <c>messaging.consumer.group.name</c>.</summary>
    public const string ConsumerGroupTag = "messaging.consumer.group.name";

    /// <summary>Attribute on batch spans: how many messages the batch holds, OpenTelemetry's <c>messaging.batch.message_count</c>.</summary>
    public const string BatchMessageCountTag = "messaging.batch.message_count";

    /// <summary>Counter, messages: what producers attempted to send (OpenTelemetry's <c>messaging.client.sent.messages</c>); <see cref="ErrorTypeTag"/> on failures.</summary>
    public const string SentMessages = "messaging.client.sent.messages";

    /// <summary>Counter, messages: what consumers delivered to the application (OpenTelemetry's <c>messaging.client.consumed.messages</c>).</summary>
    public const string ConsumedMessages = "messaging.client.consumed.messages";

    /// <summary>
    /// Histogram, seconds (OpenTelemetry's <c>messaging.client.operation.duration</c>): <c>send</c>, from a record
    /// batch's first message to its delivery report; <c>commit</c>, an offset commit.
    /// </summary>
    public const string OperationDuration = "messaging.client.operation.duration";

    /// <summary>Histogram, seconds: how long handlers took (OpenTelemetry's <c>messaging.process.duration</c>), recorded by <see cref="StartProcess(ConsumedMessage, string?)"/> scopes.</summary>
    public const string ProcessDuration = "messaging.process.duration";

    /// <summary>Counter, bytes: record batches producers finished sending, as encoded (compressed).</summary>
    public const string SentBytes = "kafka.client.sent.bytes";

    /// <summary>Counter, bytes: record batches fetched for consumers, as the broker sent them.</summary>
    public const string ConsumedBytes = "kafka.client.consumed.bytes";

    /// <summary>Histogram, messages: the size of each record batch a producer finished.</summary>
    public const string ProducerBatchSize = "kafka.producer.batch.size";

    /// <summary>Up-down counter (observed), messages: what each live producer has accepted and not yet finished.</summary>
    public const string ProducerQueuedMessages = "kafka.producer.queued.messages";

    /// <summary>
    /// Gauge (observed), messages: per assigned partition, the high watermark the latest fetch response reported minus
    /// the consumer's position. Taken from the fetches the consumer makes anyway: no extra requests.
    /// </summary>
    public const string ConsumerLag = "kafka.consumer.lag";

    /// <summary>Counter: consumer group rebalances (assignments received) of balanced consumers.</summary>
    public const string Rebalances = "kafka.consumer.rebalances";
}
