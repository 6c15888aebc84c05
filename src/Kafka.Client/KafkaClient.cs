using Kafka.Client.Admin;
using Kafka.Client.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Kafka.Client;

/// <summary>
/// A client for a Kafka cluster (pykafka's <c>KafkaClient</c>): it knows the brokers and topics and hands out
/// topics, partitions, producers and consumers. Creating one does no I/O; <see cref="UpdateClusterAsync"/> reads
/// the cluster's metadata. One client is meant to live as long as the application and be shared.
/// </summary>
/// <example>
/// <code>
/// await using var client = new KafkaClient(new KafkaClientOptions { Hosts = "127.0.0.1:9092,127.0.0.1:9093" });
/// await client.UpdateClusterAsync(ct);
/// Topic orders = client.Topics["orders"];
/// long next = await orders.Partitions[0].LatestAvailableOffsetAsync(ct);
/// </code>
/// </example>
public sealed class KafkaClient : IAsyncDisposable, IDisposable
{
    private readonly CancellationTokenSource _lifetime = new();
    private int _disposed;

    /// <summary>Creates a client. Nothing is connected until the first request.</summary>
    /// <param name="options">The settings; copied, so later changes do not affect this client.</param>
    /// <param name="loggerFactory">Where the client logs; none by default.</param>
    /// <param name="timeProvider">The clock for timeouts and backoffs; <see cref="TimeProvider.System"/> by default.</param>
    /// <param name="resiliencePipeline">
    /// Wraps each connection attempt and each idempotent request/response exchange (metadata, offset lookups),
    /// for example with Polly retries; none by default.
    /// </param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem with its option name.</exception>
    public KafkaClient(
        KafkaClientOptions options,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        ResiliencePipeline? resiliencePipeline = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The validator reads and checks the Ssl files; the material it loads serves every connection of this client.
        var errors = KafkaClientOptionsValidator.Validate(options, out var tls);
        if (errors.Count > 0)
        {
            throw new ArgumentException(
                $"Invalid Kafka client options:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}", nameof(options));
        }
        Options = options.Clone();
        // An Event Hubs connection string stands for the hosts, TLS and SASL it implies.
        Internal.Sasl.EventHubsConnectionString.ApplyTo(Options);
        var settings = ConnectionSettings.From(Options, timeProvider ?? TimeProvider.System, loggerFactory ?? NullLoggerFactory.Instance, resiliencePipeline, tls);
        // ZooKeeperHosts, when set, wins over Hosts: the seeds are read from the broker registrations instead.
        ZooKeeperBrokerDiscovery? discovery = null;
        IReadOnlyList<HostAddress> seeds;
        if (!string.IsNullOrWhiteSpace(Options.ZooKeeperHosts))
        {
            discovery = new ZooKeeperBrokerDiscovery(Options.ZooKeeperHosts, useTls: Options.Ssl is not null, Options.ConnectTimeout, settings.LoggerFactory, settings.TimeProvider);
            seeds = [];
        }
        else
        {
            seeds = HostAddress.ParseList(Options.Hosts, nameof(options));
        }
        Cluster = new Cluster(seeds, discovery, Options, settings, _lifetime.Token);
        Status = new KafkaClientStatus(Cluster);
        Admin = new KafkaAdmin(Cluster);
        ClientTelemetry.Track(Cluster);
    }

    /// <summary>
    /// Administers the cluster: topics, partitions, configurations, groups, committed offsets, records and consumer
    /// lag (see docs/admin.md). It shares this client's connections and metadata.
    /// </summary>
    public KafkaAdmin Admin { get; }

    /// <summary>The options this client was created with (a copy).</summary>
    public KafkaClientOptions Options { get; }

    /// <summary>The cluster: brokers, topics, controller.</summary>
    public Cluster Cluster { get; }

    /// <summary>The brokers by id, from the latest metadata (the same as <c>Cluster.Brokers</c>).</summary>
    public IReadOnlyDictionary<int, Broker> Brokers => Cluster.Brokers;

    /// <summary>The topics by name (weakly held; see <see cref="TopicDictionary"/>).</summary>
    public TopicDictionary Topics => Cluster.Topics;

    /// <summary>
    /// How the client's metadata refreshes went, the partitions without a reachable leader and the ZooKeeper session:
    /// what a health check reads. It never opens a connection.
    /// </summary>
    public KafkaClientStatus Status { get; }

    /// <summary>
    /// Creates a transactional producer (<see cref="ProducerOptions.TransactionalId"/> must be set): one producer for
    /// any topics, whose messages and consumer offsets commit or abort together. Call
    /// <see cref="TransactionalProducer.InitTransactionsAsync"/> before the first transaction. See docs/transactions.md.
    /// </summary>
    /// <param name="options">The producer's options, with a <see cref="ProducerOptions.TransactionalId"/>.</param>
    /// <returns>The producer; dispose it (an open transaction is then aborted).</returns>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem with its key.</exception>
    public TransactionalProducer GetTransactionalProducer(ProducerOptions options) => new(Cluster, options);

    /// <summary>
    /// Creates a member of a share group (KIP-932, Kafka 4.1+): queue semantics, where the broker hands each record to
    /// one member at a time and the member accepts, releases or rejects it; any number of members may share a
    /// partition. The member joins in the background at once. See docs/share-groups.md.
    /// </summary>
    /// <param name="topics">The topics to subscribe to (at least one).</param>
    /// <param name="groupId">The share group.</param>
    /// <param name="options">The consumer's settings (copied); defaults when <see langword="null"/>.</param>
    /// <returns>The consumer; dispose it to close its share sessions and leave the group.</returns>
    /// <exception cref="ArgumentException">No topics, an empty group id, or invalid options (the message lists every problem).</exception>
    public ShareConsumer GetShareConsumer(IEnumerable<string> topics, string groupId, ShareConsumerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(topics);
        return new ShareConsumer(Cluster, [.. topics], groupId, options);
    }

    /// <summary>
    /// Reads the cluster's metadata now and updates brokers and topics (pykafka's <c>update_cluster()</c>). Any known
    /// broker may answer; when none does, the seed hosts are tried. A refresh already running is shared. Once the
    /// client has metadata it also refreshes by itself, every <see cref="KafkaClientOptions.MetadataRefreshInterval"/>.
    /// </summary>
    /// <exception cref="NoBrokersAvailableException">No broker or seed answered; the exception names each host tried and why.</exception>
    public Task UpdateClusterAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return Cluster.UpdateAsync(cancellationToken);
    }

    /// <summary>
    /// Asks the client's background refresh for an early metadata refresh, for example after the application learned
    /// that partitions were added. Requests are coalesced, and two refreshes start at least
    /// <see cref="KafkaClientOptions.MinRefreshGap"/> apart; the client asks by itself when it meets a stale leader or an
    /// unknown broker. Returns at once (see <see cref="KafkaClientStatus.WaitForNextRefreshAsync"/> to wait).
    /// </summary>
    /// <param name="reason">Why, for the logs.</param>
    public void RequestRefresh(string? reason = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Cluster.Metadata.Request(string.IsNullOrWhiteSpace(reason) ? "requested by the application" : reason);
    }

    /// <summary>Stops the background refresh and closes every connection. Operations in flight fail with <see cref="KafkaConnectionException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        ClientTelemetry.Forget(Cluster);
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await Cluster.CloseAsync().ConfigureAwait(false);
        Cluster.Settings.Tls?.Dispose();
        _lifetime.Dispose();
    }

    /// <summary>
    /// Starts closing every connection without waiting for it (sockets are closed at once). Prefer
    /// <see cref="DisposeAsync"/>.
    /// </summary>
    public void Dispose() => _ = DisposeAsync().AsTask();
}
