using Kafka.Client.Internal;
using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client;

/// <summary>
/// The cluster as the client knows it: brokers, topics, controller (pykafka's <c>Cluster</c>). Metadata is held in
/// an immutable snapshot that <see cref="UpdateAsync"/> replaces as a whole.
/// </summary>
public sealed partial class Cluster
{
    private readonly ConnectionSettings _settings;
    private readonly ZooKeeperBrokerDiscovery? _discovery;
    private volatile Broker[] _seeds;
    private readonly CancellationToken _lifetime;
    private readonly ILogger _logger;
    private readonly Lock _applyLock = new();
    private volatile ClusterSnapshot _snapshot = ClusterSnapshot.Empty;

    internal Cluster(
        IReadOnlyList<HostAddress> seeds, ZooKeeperBrokerDiscovery? discovery, KafkaClientOptions options, ConnectionSettings settings, CancellationToken lifetime)
    {
        _discovery = discovery;
        _settings = settings;
        _lifetime = lifetime;
        _logger = settings.LoggerFactory.CreateLogger("Kafka.Client.Cluster");
        ExcludeInternalTopics = options.ExcludeInternalTopics;
        _seeds = CreateSeeds(seeds);
        Topics = new TopicDictionary(this);
        Offsets = new OffsetLookup(this);
        Metadata = new MetadataLoop(this, options.MetadataRefreshInterval, options.MinRefreshGap, lifetime);
    }

    /// <summary>The brokers by id, from the latest metadata.</summary>
    public IReadOnlyDictionary<int, Broker> Brokers => _snapshot.Brokers;

    /// <summary>The topics by name.</summary>
    public TopicDictionary Topics { get; }

    /// <summary>The controller broker, when the metadata names one the client knows.</summary>
    public Broker? ControllerBroker => _snapshot.Controller;

    /// <summary>The cluster id (Metadata v2 and later).</summary>
    public string? ClusterId => _snapshot.ClusterId;

    internal ClusterSnapshot Snapshot => _snapshot;

    internal bool ExcludeInternalTopics { get; }

    internal OffsetLookup Offsets { get; }

    /// <summary>The client's one metadata loop: every refresh goes through it.</summary>
    internal MetadataLoop Metadata { get; }

    internal ConnectionSettings Settings => _settings;

    internal IReadOnlyList<Broker> Seeds => _seeds;

    /// <summary>Cancelled when the client is disposed (producers stop with it).</summary>
    internal CancellationToken Lifetime => _lifetime;

    /// <summary>Broker discovery through ZooKeeper, when <see cref="KafkaClientOptions.ZooKeeperHosts"/> is set.</summary>
    internal ZooKeeperBrokerDiscovery? ZooKeeper => _discovery;

    private Broker[] CreateSeeds(IReadOnlyList<HostAddress> addresses)
    {
        var seeds = new Broker[addresses.Count];
        for (var i = 0; i < addresses.Count; i++)
        {
            seeds[i] = new Broker(-1 - i, addresses[i], rack: null, _settings, _lifetime);
        }
        return seeds;
    }

    /// <summary>
    /// Raised after each new snapshot (a refresh or a topic lookup), so that engines follow leaders and partitions.
    /// Handlers run on the refreshing task and must only signal their own loops.
    /// </summary>
    internal event Action? MetadataChanged;

    /// <summary>
    /// The client met evidence that its metadata is out of date (a partition's leader refused a request as not the
    /// leader, a partition has no known leader, metadata names a broker it does not list): asks the metadata loop for
    /// an early refresh.
    /// </summary>
    internal void ReportStaleMetadata(string reason) => Metadata.Request(reason);

    /// <summary>Metadata with at least the brokers: refreshes now when the client has none yet.</summary>
    internal Task EnsureMetadataAsync(CancellationToken cancellationToken) =>
        _snapshot.Brokers.Count > 0 ? Task.CompletedTask : Metadata.RefreshNowAsync(cancellationToken);

    /// <summary>
    /// Creates a member of <paramref name="consumerGroup"/> that consumes the partitions of <paramref name="topics"/>
    /// the group assigns it (see <see cref="Topic.GetBalancedConsumer(string, BalancedConsumerOptions?)"/>): a
    /// <see cref="ManagedBalancedConsumer"/>, or with <see cref="BalancedConsumerOptions.Managed"/> off a member
    /// balanced through ZooKeeper (one topic only).
    /// </summary>
    /// <param name="topics">The topics to subscribe to (at least one; exactly one through ZooKeeper).</param>
    /// <param name="consumerGroup">The consumer group to join.</param>
    /// <param name="options">The consumer's settings (copied); defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">No topics, an empty group, or invalid options; through ZooKeeper, several topics or no ZooKeeper to use.</exception>
    public BalancedConsumer GetBalancedConsumer(IEnumerable<string> topics, string consumerGroup, BalancedConsumerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(topics);
        return options is { Managed: false }
            ? new BalancedConsumer(this, [.. topics], consumerGroup, options)
            : new ManagedBalancedConsumer(this, [.. topics], consumerGroup, options);
    }

    /// <summary>
    /// Refreshes brokers and topics now from any broker that answers: the known brokers first, in random order, then
    /// the seed hosts, in random order. A refresh already running (the client's own, in the background) is shared.
    /// </summary>
    /// <exception cref="NoBrokersAvailableException">No broker or seed answered; the exception names each.</exception>
    public Task UpdateAsync(CancellationToken cancellationToken = default) => Metadata.RefreshNowAsync(cancellationToken);

    /// <summary>One full refresh (the metadata loop's), reporting where it stands to <paramref name="progress"/>.</summary>
    internal Task RefreshAllAsync(RefreshProgress progress, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return RefreshAsync(new MetadataRequest { Topics = null }, fullRefresh: true, progress);
    }

    /// <summary>Asks for one topic's metadata, letting the broker create it where allowed, and merges it in.</summary>
    internal async Task FetchTopicAsync(string name, CancellationToken cancellationToken)
    {
        var request = new MetadataRequest { Topics = [name], AllowAutoTopicCreation = true };
        var started = _settings.TimeProvider.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var response = await RefreshAsync(request, fullRefresh: false, progress: null).WaitAsync(cancellationToken).ConfigureAwait(false);
            var topic = response.Topics.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));
            var error = topic?.ErrorCode ?? KafkaErrorCode.UnknownTopicOrPartition;
            var ready = topic is not null && error == KafkaErrorCode.None && topic.Partitions.Count > 0
                        && topic.Partitions.All(p => p.LeaderId >= 0);
            if (ready)
            {
                return;
            }
            // A topic being created reports LEADER_NOT_AVAILABLE (or leaderless partitions) for a moment.
            var transient = error is KafkaErrorCode.LeaderNotAvailable or KafkaErrorCode.None || (KafkaErrors.IsRetriable(error) && error != KafkaErrorCode.UnknownTopicOrPartition);
            if (!transient || _settings.TimeProvider.GetElapsedTime(started) > _settings.SocketTimeout)
            {
                throw new KafkaBrokerException(error, error == KafkaErrorCode.UnknownTopicOrPartition
                    ? $"Topic '{name}' does not exist and the cluster did not create it (auto.create.topics.enable may be off)."
                    : $"The cluster could not provide topic '{name}': {KafkaErrors.GetName(error)}.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(50 * attempt, 500)), _settings.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<MetadataResponse> RefreshAsync(MetadataRequest request, bool fullRefresh, RefreshProgress? progress)
    {
        var attempts = new List<KeyValuePair<string, Exception>>();
        var known = _snapshot.Brokers.Values.ToArray();
        Random.Shared.Shuffle(known);
        var response = await TryBrokersAsync(known, request, fullRefresh, attempts, progress).ConfigureAwait(false);
        if (response is not null)
        {
            return response;
        }

        // No known broker answered: fall back to the seeds, re-reading them from ZooKeeper when it is the source.
        if (_discovery is not null)
        {
            try
            {
                progress?.Doing($"reading the brokers from ZooKeeper at {_discovery.ConnectString}");
                var addresses = await _discovery.ReadBrokersAsync(_lifetime).ConfigureAwait(false);
                ReplaceSeeds(addresses);
            }
            catch (KafkaException ex) when (!_lifetime.IsCancellationRequested)
            {
                Log.MetadataFailed(_logger, $"ZooKeeper at {_discovery.ConnectString}", ex.Message);
                attempts.Add(new KeyValuePair<string, Exception>($"ZooKeeper {_discovery.ConnectString}", ex));
                if (_seeds.Length == 0)
                {
                    throw new NoBrokersAvailableException(attempts);
                }
            }
        }
        var seeds = (Broker[])_seeds.Clone();
        Random.Shared.Shuffle(seeds);
        var untried = Array.FindAll(seeds, seed => !Array.Exists(known, b => b.Address.Equals(seed.Address)));
        response = await TryBrokersAsync(untried, request, fullRefresh, attempts, progress).ConfigureAwait(false);
        return response ?? throw new NoBrokersAvailableException(attempts);
    }

    private async Task<MetadataResponse?> TryBrokersAsync(
        Broker[] candidates, MetadataRequest request, bool fullRefresh, List<KeyValuePair<string, Exception>> attempts, RefreshProgress? progress)
    {
        foreach (var broker in candidates)
        {
            try
            {
                progress?.Asking(broker);
                // Connection attempts have their own retries (in the connection slot); opening the connection here,
                // outside the request's pipeline, keeps a down broker from being retried by both.
                await broker.GetConnectionAsync(ConnectionKind.General, _lifetime).ConfigureAwait(false);
                progress?.Connected();
                var response = await _settings.Resilience.ExecuteAsync(
                    static (state, token) => new ValueTask<MetadataResponse>(state.broker.SendAsync(ConnectionKind.General, state.request, token)),
                    (broker, request),
                    _lifetime).ConfigureAwait(false);
                Apply(response, fullRefresh);
                if (broker.Id < 0)
                {
                    Log.BootstrappedFromSeed(_logger, broker.Address.ToString(), response.Brokers.Count, response.Topics.Count);
                    // Seed connections duplicate the real brokers' ones once the brokers are known.
                    broker.CloseConnections();
                }
                return response;
            }
            catch (KafkaException ex) when (!_lifetime.IsCancellationRequested)
            {
                Log.MetadataFailed(_logger, broker.ToString(), ex.Message);
                attempts.Add(new KeyValuePair<string, Exception>(broker.Address.ToString(), ex));
                progress?.Failed(broker);
            }
        }
        return null;
    }

    /// <summary>Takes a new seed list (from ZooKeeper); seeds at unchanged addresses keep their connections.</summary>
    private void ReplaceSeeds(IReadOnlyList<HostAddress> addresses)
    {
        var old = _seeds;
        var kept = new Broker[addresses.Count];
        for (var i = 0; i < addresses.Count; i++)
        {
            kept[i] = Array.Find(old, s => s.Address.Equals(addresses[i])) ?? new Broker(-1 - i, addresses[i], rack: null, _settings, _lifetime);
        }
        _seeds = kept;
        foreach (var seed in old)
        {
            if (Array.IndexOf(kept, seed) < 0)
            {
                _ = seed.CloseAsync().AsTask();
            }
        }
    }

    /// <summary>
    /// Builds the next snapshot from a metadata response: new brokers added, vanished ones closed, moved ones
    /// re-pointed; topics replaced (full refresh) or merged (one topic); live Topic objects updated in place.
    /// </summary>
    private void Apply(MetadataResponse response, bool fullRefresh)
    {
        List<Broker>? removed = null;
        lock (_applyLock)
        {
            var old = _snapshot;
            var brokers = new Dictionary<int, Broker>(response.Brokers.Count);
            foreach (var b in response.Brokers)
            {
                var address = new HostAddress(b.Host, b.Port);
                if (old.Brokers.TryGetValue(b.NodeId, out var broker))
                {
                    if (!broker.Address.Equals(address))
                    {
                        Log.BrokerMoved(_logger, b.NodeId, broker.Address.ToString(), address.ToString());
                    }
                    broker.Update(address, b.Rack);
                }
                else
                {
                    broker = new Broker(b.NodeId, address, b.Rack, _settings, _lifetime);
                    if (Array.Find(_seeds, seed => seed.Address.Equals(address)) is { } seed)
                    {
                        broker.ApiVersionsMemory.LearnFrom(seed.ApiVersionsMemory);
                    }
                    Log.BrokerAdded(_logger, b.NodeId, address.ToString());
                }
                brokers[b.NodeId] = broker;
            }
            foreach (var (id, broker) in old.Brokers)
            {
                if (!brokers.ContainsKey(id))
                {
                    Log.BrokerRemoved(_logger, id, broker.Address.ToString());
                    (removed ??= []).Add(broker);
                }
            }

            var topics = fullRefresh
                ? new Dictionary<string, MetadataTopic>(response.Topics.Count, StringComparer.Ordinal)
                : new Dictionary<string, MetadataTopic>(old.Topics, StringComparer.Ordinal);
            foreach (var topic in response.Topics)
            {
                if (topic.Name is null)
                {
                    continue;
                }
                if (topic.ErrorCode == KafkaErrorCode.UnknownTopicOrPartition || (topic.ErrorCode != KafkaErrorCode.None && topic.Partitions.Count == 0))
                {
                    // Not (yet) usable: a partial refresh drops what it knew only if the broker says it is gone.
                    if (topic.ErrorCode == KafkaErrorCode.UnknownTopicOrPartition)
                    {
                        topics.Remove(topic.Name);
                    }
                    continue;
                }
                topics[topic.Name] = topic;
            }

            var snapshot = new ClusterSnapshot(brokers, topics, response.ControllerId, response.ClusterId ?? old.ClusterId, response.SharedNodeIds);
            _snapshot = snapshot;
            Topics.Refresh(snapshot);
        }
        if (removed is not null)
        {
            foreach (var broker in removed)
            {
                _ = broker.CloseAsync().AsTask();
            }
        }
        if (response.Brokers.Count == 0)
        {
            Log.EmptyMetadata(_logger);
        }
        Metadata.OnMetadataReceived();
        MetadataChanged?.Invoke();
        if (FindUnknownLeader(response) is { } unknownLeader)
        {
            ReportStaleMetadata(unknownLeader);
        }
    }

    /// <summary>
    /// A partition whose leader is a broker the same response does not list (the answering broker's view lags the
    /// controller's), described for an early refresh; <see langword="null"/> when every leader is listed.
    /// </summary>
    internal static string? FindUnknownLeader(MetadataResponse response)
    {
        var listed = new HashSet<int>(response.Brokers.Select(b => b.NodeId));
        foreach (var topic in response.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                if (partition.LeaderId >= 0 && !listed.Contains(partition.LeaderId))
                {
                    return $"the leader of {topic.Name}/{partition.PartitionIndex} is broker {partition.LeaderId}, which the metadata does not list";
                }
            }
        }
        return null;
    }

    /// <summary>Kafka flags internal topics from Metadata v1; older brokers are judged by the <c>__</c> prefix.</summary>
    internal static bool IsInternalTopic(MetadataTopic metadata) =>
        metadata.IsInternal || (metadata.Name?.StartsWith("__", StringComparison.Ordinal) ?? false);

    internal async ValueTask CloseAsync()
    {
        // The client's lifetime is cancelled by now: the loop ends, abandoning a refresh in flight.
        await Metadata.Completion.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var broker in _snapshot.Brokers.Values)
        {
            await broker.CloseAsync().ConfigureAwait(false);
        }
        foreach (var seed in _seeds)
        {
            await seed.CloseAsync().ConfigureAwait(false);
        }
        if (_discovery is not null)
        {
            await _discovery.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Information, "Broker {BrokerId} at {Address} joined the cluster metadata")]
        public static partial void BrokerAdded(ILogger logger, int brokerId, string address);

        [LoggerMessage(21, LogLevel.Information, "Broker {BrokerId} at {Address} left the cluster metadata; its connections are closed")]
        public static partial void BrokerRemoved(ILogger logger, int brokerId, string address);

        [LoggerMessage(22, LogLevel.Information, "Broker {BrokerId} moved from {OldAddress} to {NewAddress}")]
        public static partial void BrokerMoved(ILogger logger, int brokerId, string oldAddress, string newAddress);

        [LoggerMessage(23, LogLevel.Warning, "Metadata request to {Broker} failed: {Reason}")]
        public static partial void MetadataFailed(ILogger logger, string broker, string reason);

        [LoggerMessage(24, LogLevel.Information, "Bootstrapped from seed {Address}: {BrokerCount} brokers, {TopicCount} topics")]
        public static partial void BootstrappedFromSeed(ILogger logger, string address, int brokerCount, int topicCount);

        [LoggerMessage(25, LogLevel.Warning, "The cluster returned metadata with no brokers (KAFKA-2154)")]
        public static partial void EmptyMetadata(ILogger logger);
    }
}
