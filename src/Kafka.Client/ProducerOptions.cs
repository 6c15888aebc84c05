namespace Kafka.Client;

/// <summary>
/// Settings of a <see cref="Producer"/>. Each parameter of pykafka's <c>Producer</c> has a property here with its
/// meaning; where the default differs from pykafka's, the property says so and why (mostly: pykafka's defaults
/// predate idempotence and favoured throughput over latency, such as a 5-second linger). The remaining properties
/// are settings of modern Kafka producers that pykafka lacked.
/// </summary>
public sealed class ProducerOptions
{
    /// <summary>The default of <see cref="MaxRequestSize"/>: pykafka's, and the broker's historical <c>message.max.bytes</c>.</summary>
    public const int DefaultMaxRequestSize = 1_000_012;

    /// <summary>
    /// Chooses each message's partition. <see langword="null"/> uses a <see cref="Murmur2Partitioner"/>: keyed
    /// messages land where the Java client and librdkafka's <c>murmur2_random</c> put them; keyless ones go to a random
    /// partition. pykafka: <c>partitioner</c>, whose default (<c>RandomPartitioner</c>, actually round-robin) ignored
    /// keys; use <see cref="RoundRobinPartitioner"/> for that, or <see cref="HashingPartitioner"/> for pykafka's
    /// SHA-1 key hashing.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (murmur2).</value>
    public IPartitioner? Partitioner { get; set; }

    /// <summary>How batches are compressed. pykafka: <c>compression</c> (which had no zstd).</summary>
    /// <value>The default value is <see cref="CompressionType.None"/>, as pykafka's.</value>
    public CompressionType Compression { get; set; } = CompressionType.None;

    /// <summary>
    /// The codec's compression level: gzip 0–9, lz4 0–12 (3 and up is the slower high-compression mode), zstd
    /// -131072–22; <see langword="null"/> for the codec's default. Snappy has no levels. pykafka had no levels.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public int? CompressionLevel { get; set; }

    /// <summary>
    /// How many times a batch that failed with a retriable error (a moved leader, a lost connection, a broker-side
    /// timeout) is sent again before its messages fail. Retries are also bounded by <see cref="DeliveryTimeout"/>.
    /// pykafka: <c>max_retries</c>, default 3; like the Java client and librdkafka we retry until the delivery
    /// timeout instead, which rides out a leader election or a broker restart.
    /// </summary>
    /// <value>The default value is <see cref="int.MaxValue"/> (bounded by <see cref="DeliveryTimeout"/>).</value>
    public int MaxRetries { get; set; } = int.MaxValue;

    /// <summary>
    /// The wait before the first retry of a batch; it doubles with each further retry up to
    /// <see cref="RetryBackoffMax"/>, with ±20% jitter. pykafka: <c>retry_backoff_ms</c> (fixed, no growth).
    /// </summary>
    /// <value>The default value is 100 milliseconds, as pykafka's.</value>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between retries of a batch. Not in pykafka.</summary>
    /// <value>The default value is 1 second, as the Java client's <c>retry.backoff.max.ms</c>.</value>
    public TimeSpan RetryBackoffMax { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The acknowledgement each produce request asks for. pykafka: <c>required_acks</c>, default 1 (the leader).
    /// We default to all in-sync replicas, as the Java client has since 3.0: an acknowledged message then survives a
    /// leader failure, and idempotence needs it.
    /// </summary>
    /// <value>The default value is <see cref="RequiredAcks.All"/>.</value>
    public RequiredAcks RequiredAcks { get; set; } = RequiredAcks.All;

    /// <summary>
    /// How long the broker may wait for the replicas' acknowledgements, sent in each produce request. The client
    /// waits for the response up to the client's <see cref="KafkaClientOptions.SocketTimeout"/> (pykafka's
    /// <c>socket_timeout_ms</c> governed this too); a request unanswered by then closes the connection and is
    /// retried. pykafka: <c>ack_timeout_ms</c>.
    /// </summary>
    /// <value>The default value is 10 seconds, as pykafka's.</value>
    public TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many accepted messages may wait for delivery at once. When the queue is full, producing blocks or
    /// throws (<see cref="BlockOnQueueFull"/>). With <see cref="DeliveryReports"/> on, a message keeps its place
    /// until its report is read, so unread reports cannot grow without bound. pykafka: <c>max_queued_messages</c>.
    /// </summary>
    /// <value>The default value is 100,000, as pykafka's (and librdkafka's).</value>
    public int MaxQueuedMessages { get; set; } = 100_000;

    /// <summary>
    /// A partition's batch is sent without waiting out <see cref="Linger"/> once it holds this many messages.
    /// pykafka: <c>min_queued_messages</c>, default 70,000 per broker, which with its 5-second linger made
    /// low-volume producers slow (pykafka issue #380); we use librdkafka's <c>batch.num.messages</c>.
    /// </summary>
    /// <value>The default value is 10,000.</value>
    public int MinQueuedMessages { get; set; } = 10_000;

    /// <summary>
    /// How long a partition's first queued message may wait for more to join its batch. pykafka: <c>linger_ms</c>,
    /// default 5 seconds (issue #380); we use the Java client's (since 4.0) and librdkafka's 5 milliseconds.
    /// </summary>
    /// <value>The default value is 5 milliseconds.</value>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// pykafka's <c>queue_empty_timeout_ms</c>: how long its worker threads slept between polls of an empty queue.
    /// Accepted for compatibility and otherwise unused: this producer's senders wait for a signal instead of polling,
    /// so an idle producer costs nothing.
    /// </summary>
    /// <value>The default value is zero, as pykafka's.</value>
    public TimeSpan QueueEmptyTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Whether producing waits for room when <see cref="MaxQueuedMessages"/> are queued (<see langword="true"/>), or
    /// throws <see cref="ProducerQueueFullException"/>. pykafka: <c>block_on_queue_full</c>.
    /// </summary>
    /// <value>The default value is <see langword="true"/>, as pykafka's.</value>
    public bool BlockOnQueueFull { get; set; } = true;

    /// <summary>
    /// The largest produce request sent, in bytes; a message that cannot fit one alone fails with
    /// <see cref="MessageTooLargeException"/>. Brokers refuse batches above their <c>message.max.bytes</c>.
    /// pykafka: <c>max_request_size</c>.
    /// </summary>
    /// <value>The default value is 1,000,012 bytes, as pykafka's.</value>
    public int MaxRequestSize { get; set; } = DefaultMaxRequestSize;

    /// <summary>
    /// The size at which a partition's batch (uncompressed, or its worst-case compressed size) is closed and sent
    /// without waiting out <see cref="Linger"/>; never more than <see cref="MaxRequestSize"/> allows. Not in pykafka.
    /// </summary>
    /// <value>The default value is 1,000,000 bytes, as librdkafka's <c>batch.size</c>.</value>
    public int BatchSize { get; set; } = 1_000_000;

    /// <summary>
    /// Whether <c>Producer.Produce</c> waits until its message is delivered and throws if it failed, and
    /// batches are sent without lingering. pykafka: <c>sync</c> (see <see cref="Topic.GetSyncProducer"/>).
    /// <c>Producer.ProduceAsync</c> always waits for delivery.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Sync { get; set; }

    /// <summary>
    /// Whether the outcome of every message sent with <c>Producer.Produce</c> is published on
    /// <see cref="Producer.DeliveryReports"/>. pykafka: <c>delivery_reports</c>, whose unread reports grew without
    /// bound (issue #560); here a message holds its place in the queue until its report is read.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool DeliveryReports { get; set; }

    /// <summary>
    /// How long disposing the producer waits for queued messages to be delivered; those still undelivered then fail
    /// with <see cref="ProducerDisposedException"/>. pykafka: <c>pending_timeout_ms</c>.
    /// </summary>
    /// <value>The default value is 5 seconds, as pykafka's.</value>
    public TimeSpan PendingTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the producer is idempotent: it gets a producer id and epoch (InitProducerId) and numbers each
    /// partition's batches, so that the broker writes a retried batch once, in order. Takes effect only with
    /// <see cref="RequiredAcks.All"/> (as the Java client, which drops it when acks is set lower); brokers before
    /// 0.11 cannot do it and get a plain producer. Not in pykafka; modern Kafka clients' default.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool EnableIdempotence { get; set; } = true;

    /// <summary>
    /// The longest a message may take from being accepted to being delivered, lingering and retries included; then it
    /// fails with <see cref="ProduceFailureException"/>. Must not be shorter than <see cref="Linger"/>. Not in pykafka.
    /// </summary>
    /// <value>The default value is 2 minutes, as the Java client's <c>delivery.timeout.ms</c>.</value>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How many produce requests an idempotent producer keeps in flight per broker connection (1 to 5; brokers keep
    /// the sequence state of 5). Without idempotence one request is in flight per connection, as pykafka did, so that
    /// a retry cannot reorder a partition's messages. Not in pykafka.
    /// </summary>
    /// <value>The default value is 5, as the Java client's <c>max.in.flight.requests.per.connection</c>.</value>
    public int MaxInFlightRequests { get; set; } = 5;

    /// <summary>
    /// Makes the producer transactional: a <see cref="TransactionalProducer"/> from
    /// <see cref="KafkaClient.GetTransactionalProducer"/>, whose messages (to any topics) and consumer offsets become
    /// visible to <see cref="KafkaIsolationLevel.ReadCommitted"/> readers together, or not at all. The id must stay the
    /// same across restarts of one logical producer (for example one per input partition or per instance), so that a
    /// restarted producer fences its predecessor and completes or aborts what it left open. Implies
    /// <see cref="EnableIdempotence"/> and <see cref="RequiredAcks.All"/>; setting either otherwise fails validation.
    /// Not in pykafka (Java: <c>transactional.id</c>).
    /// </summary>
    /// <value>The default value is <see langword="null"/> (not transactional).</value>
    public string? TransactionalId { get; set; }

    /// <summary>
    /// How long the transaction coordinator lets a transaction stay open before it aborts it (and fences this
    /// producer's epoch); sent with InitProducerId. Brokers refuse values above their
    /// <c>transaction.max.timeout.ms</c> (15 minutes by default) with INVALID_TRANSACTION_TIMEOUT. Used only with
    /// <see cref="TransactionalId"/>.
    /// </summary>
    /// <value>The default value is 60 seconds, as the Java client's <c>transaction.timeout.ms</c>.</value>
    public TimeSpan TransactionTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether each message carries the current trace context in its headers (W3C <c>traceparent</c>,
    /// <c>tracestate</c> and <c>baggage</c>, written by <see cref="System.Diagnostics.DistributedContextPropagator.Current"/>),
    /// so that consumers continue the producer's trace. Written only when there is a context: a <c>send</c> span (someone
    /// listens to <see cref="KafkaTelemetry.ActivitySourceName"/>) or an application span around the call. A header the
    /// caller set under the same name is kept. Not in pykafka.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool PropagateTraceContext { get; set; } = true;

    /// <summary>Creates a copy, so that a producer is not affected by later changes to these options.</summary>
    public ProducerOptions Clone() => (ProducerOptions)MemberwiseClone();
}
