using System.Text.Json.Serialization;

namespace Kafka.Client;

/// <summary>
/// Settings of a <see cref="KafkaClient"/>. Each pykafka <c>KafkaClient</c> parameter has a property here with
/// the same meaning and default; the remaining properties are settings pykafka hard-coded.
/// </summary>
public sealed class KafkaClientOptions
{
    /// <summary>The default of <see cref="Hosts"/>.</summary>
    public const string DefaultHosts = "127.0.0.1:9092";

    /// <summary>The value of <see cref="BrokerVersion"/> that negotiates versions with each broker.</summary>
    public const string AutoBrokerVersion = Protocol.BrokerRelease.Auto;

    /// <summary>
    /// Comma-separated seed brokers, <c>host:port</c> (the port defaults to 9092; IPv6 literals in brackets,
    /// <c>[::1]:9092</c>). The client learns the rest of the cluster from them. pykafka: <c>hosts</c>.
    /// </summary>
    /// <value>The default value is <c>127.0.0.1:9092</c>.</value>
    public string Hosts { get; set; } = DefaultHosts;

    /// <summary>
    /// A ZooKeeper connection string (<c>zk1:2181,zk2:2181/chroot</c>) to discover brokers from; when set it takes
    /// precedence over <see cref="Hosts"/>. pykafka: <c>zookeeper_hosts</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (brokers come from <see cref="Hosts"/>).</value>
    public string? ZooKeeperHosts { get; set; }

    /// <summary>
    /// How long a request may wait for its response before it fails with <see cref="KafkaTimeoutException"/>
    /// and its connection is closed. pykafka: <c>socket_timeout_ms</c>.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan SocketTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The request timeout on the offsets channel (offset commits and offset fetches).
    /// pykafka: <c>offsets_channel_socket_timeout_ms</c>.
    /// </summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan OffsetsChannelSocketTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long opening a TCP connection (and, with TLS, its handshake) may take.
    /// pykafka used the socket timeout for this.
    /// </summary>
    /// <value>The default value is 10 seconds, as the Java client's <c>socket.connection.setup.timeout.ms</c>.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether every protocol request gets a span of its own (kind Client, named after its API: <c>Produce</c>,
    /// <c>Fetch</c>, <c>Metadata</c>...) on <see cref="KafkaTelemetry.ActivitySourceName"/>. Off, a trace shows the
    /// messaging spans (<c>send</c>, <c>process</c>) and metadata refreshes (with their requests as children), not the
    /// requests the background loops make for produce and fetch, which would each be a trace of their own. The request
    /// duration metric is recorded either way. Not in pykafka.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool TraceRequests { get; set; }

    /// <summary>
    /// Whether internal topics (<c>__consumer_offsets</c>, <c>__transaction_state</c>) are hidden from
    /// <see cref="KafkaClient.Topics"/>, lookups included. pykafka: <c>exclude_internal_topics</c>.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ExcludeInternalTopics { get; set; } = true;

    /// <summary>
    /// The local address every connection binds to before connecting: <c>host</c> or <c>host:port</c>
    /// (IPv6 in brackets). Empty or <see langword="null"/> lets the system choose. pykafka: <c>source_address</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? SourceAddress { get; set; }

    /// <summary>
    /// The Kafka release of the brokers. <c>auto</c> negotiates each API's version with every broker through
    /// ApiVersions. A release such as <c>0.10.2</c> or <c>2.8</c> caps every API at what that release
    /// supported; for releases that predate ApiVersions (0.9) the client uses that release's table instead of
    /// asking. pykafka: <c>broker_version</c> (whose default, 0.9.0, no longer suits current brokers).
    /// </summary>
    /// <value>The default value is <c>auto</c>.</value>
    public string BrokerVersion { get; set; } = AutoBrokerVersion;

    /// <summary>The client id sent with every request; brokers use it in logs and quotas.</summary>
    /// <value>The default value is <c>kafka-hosting</c>.</value>
    public string ClientId { get; set; } = "kafka-hosting";

    /// <summary>The first delay before reconnecting to a broker whose connection failed; it doubles on each
    /// further failure up to <see cref="ReconnectBackoffMax"/>, with ±20% jitter.</summary>
    /// <value>The default value is 50 milliseconds, as the Java client's <c>reconnect.backoff.ms</c>.</value>
    public TimeSpan ReconnectBackoff { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest delay between reconnection attempts to one broker.</summary>
    /// <value>The default value is 1 second, as the Java client's <c>reconnect.backoff.max.ms</c>.</value>
    public TimeSpan ReconnectBackoffMax { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The largest response the client accepts from a broker. A response whose size field claims more is a
    /// protocol error that closes the connection, so a broken or hostile broker cannot make the client
    /// allocate without bound.
    /// </summary>
    /// <value>The default value is 100 MiB, as the broker's own <c>socket.request.max.bytes</c>.</value>
    public int MaxResponseSize { get; set; } = 100 * 1024 * 1024;

    /// <summary>
    /// How often the client refreshes its metadata (brokers, topics, leaders) in the background once it has any, so
    /// that moved leaders and added partitions are used even when nothing fails. Early refreshes happen whenever the
    /// client meets stale metadata. pykafka refreshed only on errors; Kafka's own clients refresh every 5 minutes
    /// (<c>metadata.max.age.ms</c>).
    /// </summary>
    /// <value>The default value is 5 minutes; at least 1 second and at most 1 day.</value>
    public TimeSpan MetadataRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The shortest time between the starts of two metadata refreshes: early refreshes asked for within it (a stale
    /// leader met by a producer, a consumer or an offset lookup, <see cref="KafkaClient.RequestRefresh"/>) are served by
    /// one refresh when it has passed. After a failed refresh the next attempt comes after this gap, doubling with each
    /// further failure up to 30 seconds, with ±20% jitter.
    /// </summary>
    /// <value>The default value is 1 second (Kafka's Java client backs off its metadata requests from 100 ms to 1 s).</value>
    public TimeSpan MinRefreshGap { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// TLS for every connection to the brokers; <see langword="null"/> for plaintext. When set, every host in
    /// <see cref="Hosts"/> must be a TLS port, as in pykafka. See <see cref="SslConfig"/>. pykafka: <c>ssl_config</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (plaintext).</value>
    public SslConfig? Ssl { get; set; }

    /// <summary>
    /// SASL authentication for every connection to the brokers (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER, GSSAPI), over
    /// plaintext or over TLS; <see langword="null"/> for none. See <see cref="SaslConfig"/> and docs/sasl.md.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public SaslConfig? Sasl { get; set; }

    /// <summary>
    /// An Azure Event Hubs connection string (<c>Endpoint=sb://NAMESPACE.servicebus.windows.net/;SharedAccessKeyName=...;SharedAccessKey=...</c>).
    /// When set, the client connects to <c>NAMESPACE.servicebus.windows.net:9093</c> over TLS (the system trust store
    /// unless <see cref="Ssl"/> says otherwise) with SASL PLAIN, user <c>$ConnectionString</c> and the string as the
    /// password; <see cref="Hosts"/> must then be left at its default and <see cref="Sasl"/> unset. A secret: never
    /// logged or shown, and not written by <c>System.Text.Json</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    [JsonIgnore]
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Checks every option, as the <see cref="KafkaClient"/> constructor does, without connecting anywhere (the only
    /// I/O is reading and checking the <see cref="Ssl"/> files), and returns every problem found, each starting with
    /// the option's name as a configuration key (<c>Hosts: 'broker:abc' has port 'abc'...</c>,
    /// <c>Ssl:KeyFile: ...</c>), so that a host can report them all at start prefixed with its configuration section.
    /// No problem's text holds a password.
    /// </summary>
    /// <returns>The problems; empty when the options are valid.</returns>
    public IReadOnlyList<string> Validate() => Internal.KafkaClientOptionsValidator.Validate(this);

    /// <summary>Creates a copy, so that a client is not affected by later changes to these options.</summary>
    public KafkaClientOptions Clone()
    {
        var copy = (KafkaClientOptions)MemberwiseClone();
        copy.Ssl = Ssl?.Clone();
        copy.Sasl = Sasl?.Clone();
        return copy;
    }
}
