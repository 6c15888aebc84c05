using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Kafka.Testing.Internal;
using Kafka.Testing.Native;
using Microsoft.Extensions.Logging;

namespace Kafka.Testing;

/// <summary>
/// An in-process Kafka cluster for tests: librdkafka's mock brokers, serving the Kafka wire protocol over plain
/// TCP on 127.0.0.1 with ephemeral ports. Any Kafka client can connect to <see cref="BootstrapServers"/>.
/// </summary>
/// <remarks>
/// <para>
/// The brokers implement a subset of Kafka (produce, fetch, list offsets, metadata, consumer groups, offset
/// commits, idempotent and transactional producers) and let a test change the cluster under the client: take a
/// broker down, move a partition leader, inject errors and latency, limit API versions, and record the requests
/// the client sent. They keep messages in memory, do not speak TLS or SASL, and do not serve the admin APIs
/// (CreateTopics, DeleteTopics, DescribeConfigs...): create topics with <see cref="CreateTopic"/>, or let
/// Metadata requests auto-create them with 4 partitions.
/// </para>
/// <para>
/// The native library comes from the librdkafka.redist package (a dependency of this one). All members are
/// thread-safe. Dispose the cluster when the test ends; disposing more than once does nothing.
/// </para>
/// </remarks>
public sealed class MockKafkaCluster : IAsyncDisposable, IDisposable
{
    private const int MaxHostLength = 127; // the mock's advertised_listener buffer is 128 bytes with the terminator

    private readonly MockClusterHandle _handle;
    private readonly Lock _brokersGate = new();
    private readonly Dictionary<int, (string Host, int Port)> _listeners;
    private readonly List<int> _brokerIds;
    private readonly Dictionary<int, IBrokerProxy>? _versionProxies;
    private readonly GroupProtocolGuard? _groupGuard;
    private readonly TransactionOffsetsKeeper? _transactions;
    private readonly TransactionsV2Bridge? _transactionsV2;
    private volatile bool _proxyTracking;
    private int[] _brokerIdsSnapshot;

    private MockKafkaCluster(
        MockClusterHandle handle, string bootstrapServers, bool recordApiVersions, bool serveTopicAdmin, GroupProtocolGuard? groupGuard, bool completeTransactions,
        bool transactionsV2)
    {
        _handle = handle;
        BootstrapServers = bootstrapServers;
        _listeners = ParseBootstrapServers(bootstrapServers);
        _brokerIds = [.. _listeners.Keys.Order()];
        _brokerIdsSnapshot = [.. _brokerIds];
        _handle.Nudger.SetPorts(_listeners.Values.Select(l => l.Port));
        _groupGuard = groupGuard;
        if (completeTransactions)
        {
            _transactions = new TransactionOffsetsKeeper(() => [.. _listeners.Values.Select(l => (l.Host, l.Port))]);
        }
        if (transactionsV2)
        {
            _transactionsV2 = new TransactionsV2Bridge(id => _listeners.TryGetValue(id, out var l) ? (l.Host, l.Port) : null);
        }
        if (recordApiVersions || serveTopicAdmin || groupGuard is not null || completeTransactions || transactionsV2)
        {
            _versionProxies = [];
            var topics = serveTopicAdmin
                ? new TopicAdminResponder(
                    (name, partitions, factor) => Control(h => LibrdkafkaNative.MockTopicCreate(h, name, partitions, factor)),
                    name => Control(h => LibrdkafkaNative.MockTopicDelete(h, name)),
                    () => BrokerIds.Count)
                : null;
            foreach (var (id, listener) in _listeners)
            {
                _versionProxies[id] = topics is null
                    ? new TcpProxy(listener.Host, listener.Port, recordKafkaRequests: true) { BrokerId = id, Guard = groupGuard, Transactions = _transactions, TransactionsV2 = _transactionsV2 }
                    : new AnsweringProxy(listener.Host, listener.Port, id, TopicAdminResponder.Apis, topics.Answer);
            }
            BootstrapServers = string.Join(',', _brokerIds.Select(id => _versionProxies[id].Address));
        }
    }

    /// <summary>
    /// The full path of the librdkafka library the mock cluster runs on, loading it if needed. A test that also
    /// uses Confluent.Kafka can pass it to <c>Confluent.Kafka.Library.Load</c> so that both use the same build.
    /// </summary>
    /// <exception cref="DllNotFoundException">No librdkafka build loads; the message lists every file tried and why.</exception>
    public static string NativeLibraryPath
    {
        get
        {
            LibrdkafkaLoader.EnsureLoaded();
            return LibrdkafkaLoader.LoadedPath!;
        }
    }

    /// <summary>
    /// The brokers' addresses as a Kafka client's <c>bootstrap.servers</c> value, e.g.
    /// <c>127.0.0.1:40001,127.0.0.1:40002,127.0.0.1:40003</c>, in broker id order. It lists the brokers the cluster
    /// started with, at the addresses they listen on.
    /// </summary>
    public string BootstrapServers { get; }

    /// <summary>The ids of the cluster's brokers, ascending: 1 to N at start, then as changed by
    /// <see cref="AddBroker"/> and <see cref="DecommissionBroker"/>.</summary>
    public IReadOnlyList<int> BrokerIds
    {
        get
        {
            lock (_brokersGate)
            {
                return _brokerIdsSnapshot;
            }
        }
    }

    /// <summary>
    /// Starts a cluster of <paramref name="brokerCount"/> brokers with ids 1 to <paramref name="brokerCount"/>,
    /// each listening on its own ephemeral port on 127.0.0.1. It takes a few milliseconds.
    /// </summary>
    /// <param name="brokerCount">How many brokers; at least 1.</param>
    /// <param name="logger">
    /// Receives librdkafka's log lines (mock broker errors, such as a request with an unsupported version).
    /// Without one, errors are written to standard error and nothing else is shown.
    /// </param>
    /// <param name="recordApiVersions">
    /// Put a recording <see cref="TcpProxy"/> in front of each broker and advertise it, so that request tracking
    /// also records each request's API version (<see cref="MockRequest.ApiVersion"/>), which librdkafka's own
    /// tracking does not. <see cref="BootstrapServers"/> and <see cref="GetBrokerAddress"/> then name the proxies.
    /// </param>
    /// <param name="serveTopicAdmin">
    /// Put a proxy in front of each broker that answers CreateTopics (v2–v7) and DeleteTopics (v1–v6), which the mock
    /// brokers do not serve, by calling the mock's own <see cref="CreateTopic"/> and <see cref="DeleteTopic"/>, and adds
    /// both APIs to the brokers' ApiVersions answers; everything else passes through. It also records versions, as
    /// <paramref name="recordApiVersions"/> does. The mock cannot place replicas or keep topic configs: an explicit
    /// assignment sets only the partition count and replication factor, configs are dropped, and -1 means 4 partitions
    /// and min(3, brokers) replicas (the mock's defaults). See docs/testing.md.
    /// </param>
    /// <param name="guardGroupProtocols">
    /// Put the same proxies in front of the brokers and keep librdkafka's mock from aborting the test process over a
    /// consumer group: the mock asserts that every member of a group lists the same assignment protocol first (Kafka
    /// only needs one protocol in common), and a member that does not kills the process. With the guard, such a
    /// member's JoinGroup is answered INCONSISTENT_GROUP_PROTOCOL in the broker's place, the refusal is logged as an
    /// error and listed in <see cref="GroupProtocolRefusals"/>, and the process lives on. Use it in tests whose group
    /// members may be configured with different assignors. It cannot be combined with <paramref name="serveTopicAdmin"/>.
    /// </param>
    /// <param name="completeTransactions">
    /// Put the same recording proxies in front of the brokers and complete what the mock leaves out of transactional
    /// offset commits: it answers TxnOffsetCommit but stores nothing, so a committed transaction's offsets never become
    /// the group's. With this, the offsets each TxnOffsetCommit sends are remembered and, when the coordinator answers
    /// an EndTxn that commits, committed to the group (OffsetCommit v2 with the member's generation and id) before the
    /// client sees the answer; an aborted transaction's are dropped. What could not be stored is listed in
    /// <see cref="TransactionOffsetFailures"/>. It cannot be combined with <paramref name="serveTopicAdmin"/> or
    /// <paramref name="guardGroupProtocols"/>. See docs/testing.md.
    /// </param>
    /// <param name="transactionsV2">
    /// Put the same recording proxies in front of the brokers and make them look like brokers with transactions V2
    /// (KIP-890 part 2), which the mock lacks: ApiVersions v3 answers finalize the feature <c>transaction.version</c> 2
    /// and list Produce v12, EndTxn v5 and TxnOffsetCommit v5; those versions reach the mock as Produce v10, EndTxn v1
    /// and TxnOffsetCommit v3, with the partitions of a transactional Produce v12 and the group of a TxnOffsetCommit v5
    /// added to the transaction first (as a V2 broker does), and an EndTxn v5 answered with the epoch bumped (as a V2
    /// coordinator does). The mock still stores the records and writes the markers. Implies
    /// <paramref name="completeTransactions"/>. What the translation could not do is listed in
    /// <see cref="TransactionsV2Failures"/>. See docs/testing.md.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="brokerCount"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">Two of <paramref name="serveTopicAdmin"/>, <paramref name="guardGroupProtocols"/> and <paramref name="completeTransactions"/> are set.</exception>
    /// <exception cref="DllNotFoundException">No librdkafka build loads; the message lists every file tried and why.</exception>
    /// <exception cref="MockKafkaClusterException">librdkafka could not create the cluster.</exception>
    public static MockKafkaCluster Start(
        int brokerCount = 3, ILogger? logger = null, bool recordApiVersions = false, bool serveTopicAdmin = false, bool guardGroupProtocols = false,
        bool completeTransactions = false, bool transactionsV2 = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerCount, 1);
        completeTransactions |= transactionsV2;
        if (completeTransactions && (serveTopicAdmin || guardGroupProtocols))
        {
            throw new ArgumentException("completeTransactions cannot be combined with serveTopicAdmin or guardGroupProtocols: each puts its own proxy in front of the brokers.", nameof(completeTransactions));
        }
        if (serveTopicAdmin && guardGroupProtocols)
        {
            throw new ArgumentException("guardGroupProtocols cannot be combined with serveTopicAdmin: each puts its own proxy in front of the brokers.", nameof(guardGroupProtocols));
        }
        LibrdkafkaLoader.EnsureLoaded();

        var sink = new NativeLogSink(logger);
        MockClusterHandle handle = MockClusterHandle.Create(brokerCount, sink);
        try
        {
            string bootstrapServers;
            unsafe
            {
                bootstrapServers = Marshal.PtrToStringUTF8((nint)LibrdkafkaNative.MockClusterBootstraps(handle))
                    ?? throw new MockKafkaClusterException("rd_kafka_mock_cluster_bootstraps returned no address list.");
            }

            var guard = guardGroupProtocols
                ? new GroupProtocolGuard(TimeProvider.System) { Refused = sink.FixtureError }
                : null;
            var cluster = new MockKafkaCluster(handle, bootstrapServers, recordApiVersions, serveTopicAdmin, guard, completeTransactions, transactionsV2);
            cluster.CapBrokenGroupVersions();
            if (cluster._versionProxies is not null)
            {
                foreach (var (id, proxy) in cluster._versionProxies!)
                {
                    cluster.SetBrokerHostPort(id, "127.0.0.1", proxy.Port);
                }
            }
            return cluster;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// librdkafka 2.16's mock advertises flexible versions of the group APIs but mishandles them: a flexible
    /// JoinGroup or SyncGroup makes it close the connection, and its LeaveGroup v3+ answer lacks the member list.
    /// Advertising only the versions before each API's first flexible one makes every client negotiate versions
    /// the mock handles (librdkafka's own clients already stay below them). <see cref="SetApiVersion"/> can still
    /// change them.
    /// </summary>
    private void CapBrokenGroupVersions()
    {
        SetApiVersion(11, 0, 5); // JoinGroup: flexible from v6
        SetApiVersion(14, 0, 3); // SyncGroup: flexible from v4
        SetApiVersion(12, 0, 3); // Heartbeat: flexible from v4
        SetApiVersion(13, 0, 2); // LeaveGroup: v3+ member batches answered without members
    }

    /// <summary>
    /// The address (<c>host:port</c>) broker <paramref name="brokerId"/> listens on, from <see cref="BootstrapServers"/>.
    /// It does not change with <see cref="SetBrokerHostPort"/>, which only changes what Metadata advertises.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such broker.</exception>
    /// <exception cref="InvalidOperationException">The broker was added by <see cref="AddBroker"/>: librdkafka does not tell
    /// where it listens, only Metadata responses do.</exception>
    public string GetBrokerAddress(int brokerId)
    {
        if (_versionProxies is not null && _versionProxies.TryGetValue(brokerId, out var proxy))
        {
            return proxy.Address;
        }
        (string host, int port) = GetListener(brokerId);
        return host + ":" + port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The TCP port broker <paramref name="brokerId"/> listens on; see <see cref="GetBrokerAddress"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such broker.</exception>
    /// <exception cref="InvalidOperationException">The broker was added by <see cref="AddBroker"/>.</exception>
    public int GetBrokerPort(int brokerId) =>
        _versionProxies is not null && _versionProxies.TryGetValue(brokerId, out var proxy) ? proxy.Port : GetListener(brokerId).Port;

    /// <summary>
    /// Creates a topic (the mock brokers do not serve the CreateTopics API). Replicas are spread over the brokers,
    /// every replica is in sync, and each partition's leader is one of its replicas chosen at random.
    /// </summary>
    /// <param name="topic">The topic name.</param>
    /// <param name="partitions">How many partitions; at least 1.</param>
    /// <param name="replicationFactor">How many replicas each partition has; librdkafka caps it at the number of brokers.</param>
    /// <exception cref="MockKafkaClusterException">The topic exists already (TOPIC_ALREADY_EXISTS).</exception>
    public void CreateTopic(string topic, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ThrowIfDisposed();
        Check(Control(h => LibrdkafkaNative.MockTopicCreate(h, topic, partitions, replicationFactor)), $"Creating topic '{topic}'");
    }

    /// <summary>Deletes a topic; later requests naming it get UNKNOWN_TOPIC_OR_PARTITION (or auto-create it again).</summary>
    /// <exception cref="MockKafkaClusterException">The topic does not exist (UNKNOWN_TOPIC_OR_PART).</exception>
    public void DeleteTopic(string topic)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ThrowIfDisposed();
        Check(Control(h => LibrdkafkaNative.MockTopicDelete(h, topic)), $"Deleting topic '{topic}'");
    }

    /// <summary>
    /// Makes the brokers answer requests about <paramref name="topic"/> with <paramref name="errorCode"/> (librdkafka
    /// uses it in Metadata and AddPartitionsToTxn responses) until set back to 0.
    /// </summary>
    public void SetTopicError(string topic, short errorCode)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ThrowIfDisposed();
        Control(h => LibrdkafkaNative.MockTopicSetError(h, topic, errorCode));
    }

    /// <summary>
    /// Makes <paramref name="brokerId"/> the leader of a partition (creating the topic if needed). Clients see it
    /// in their next Metadata response; the old leader answers NOT_LEADER_OR_FOLLOWER from then on.
    /// </summary>
    /// <param name="topic">The topic.</param>
    /// <param name="partition">The partition.</param>
    /// <param name="brokerId">The new leader, or -1 to leave the partition without a leader.</param>
    /// <exception cref="MockKafkaClusterException">No such partition or broker.</exception>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ThrowIfDisposed();
        Check(Control(h => LibrdkafkaNative.MockPartitionSetLeader(h, topic, partition, brokerId)),
            $"Setting the leader of '{topic}' [{partition}] to broker {brokerId}");
    }

    /// <summary>
    /// Sets the partition's preferred read replica (KIP-392): a consumer that sends its <c>client.rack</c> is told
    /// to fetch from <paramref name="brokerId"/>. Creates the topic if needed; the broker need not exist.
    /// </summary>
    /// <exception cref="MockKafkaClusterException">librdkafka refused the change.</exception>
    public void SetPartitionFollower(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ThrowIfDisposed();
        Check(Control(h => LibrdkafkaNative.MockPartitionSetFollower(h, topic, partition, brokerId)),
            $"Setting the follower of '{topic}' [{partition}] to broker {brokerId}");
    }

    /// <summary>
    /// Sets the low and high watermarks the follower (see <see cref="SetPartitionFollower"/>) reports, to imitate a
    /// replica that lags or is ahead; -1 reverts to the leader's value.
    /// </summary>
    /// <exception cref="MockKafkaClusterException">librdkafka refused the change.</exception>
    public void SetPartitionFollowerWatermarks(string topic, int partition, long lowWatermark, long highWatermark)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ThrowIfDisposed();
        Check(Control(h => LibrdkafkaNative.MockPartitionSetFollowerWatermarks(h, topic, partition, lowWatermark, highWatermark)),
            $"Setting the follower watermarks of '{topic}' [{partition}]");
    }

    /// <summary>
    /// Takes a broker down: it closes every open connection and refuses new ones (connect gets ECONNREFUSED),
    /// keeping its port. Metadata responses stop listing the broker, but partition leadership does not move: partitions
    /// it leads still name it as their leader.
    /// </summary>
    /// <param name="brokerId">The broker, or -1 for every broker.</param>
    /// <exception cref="MockKafkaClusterException">No such broker (BROKER_NOT_AVAILABLE).</exception>
    public void SetBrokerDown(int brokerId)
    {
        ThrowIfDisposed();
        Check(Control(h => LibrdkafkaNative.MockBrokerSetDown(h, brokerId)), $"Setting broker {brokerId} down");
    }

    /// <summary>Brings a broker taken down by <see cref="SetBrokerDown"/> back: it accepts connections again on the same port.</summary>
    /// <param name="brokerId">The broker, or -1 for every broker.</param>
    /// <exception cref="MockKafkaClusterException">No such broker (BROKER_NOT_AVAILABLE).</exception>
    public void SetBrokerUp(int brokerId)
    {
        ThrowIfDisposed();
        Check(Control(h => LibrdkafkaNative.MockBrokerSetUp(h, brokerId)), $"Setting broker {brokerId} up");
    }

    /// <summary>Delays every response of a broker by <paramref name="rtt"/> (millisecond resolution); zero removes the delay.</summary>
    /// <param name="brokerId">The broker, or -1 for every broker.</param>
    /// <param name="rtt">The added round-trip time.</param>
    /// <exception cref="MockKafkaClusterException">No such broker (BROKER_NOT_AVAILABLE).</exception>
    public void SetBrokerRtt(int brokerId, TimeSpan rtt)
    {
        int milliseconds = ToMilliseconds(rtt, nameof(rtt));
        ThrowIfDisposed();
        Check(Control(h => LibrdkafkaNative.MockBrokerSetRtt(h, brokerId, milliseconds)), $"Setting the RTT of broker {brokerId}");
    }

    /// <summary>Sets the rack Metadata reports for a broker (null for none).</summary>
    /// <param name="brokerId">The broker, or -1 for every broker.</param>
    /// <param name="rack">The rack id, or null.</param>
    /// <exception cref="MockKafkaClusterException">No such broker (BROKER_NOT_AVAILABLE).</exception>
    public void SetBrokerRack(int brokerId, string? rack)
    {
        ThrowIfDisposed();
        Check(Control(h => LibrdkafkaNative.MockBrokerSetRack(h, brokerId, rack)), $"Setting the rack of broker {brokerId}");
    }

    /// <summary>
    /// Changes the host and port Metadata responses advertise for a broker; the broker keeps listening where it was
    /// (<see cref="GetBrokerAddress"/>). Use it to put a proxy (TLS, fault injection) between clients and a broker.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such broker, or a port outside 1-65535.</exception>
    public void SetBrokerHostPort(int brokerId, string host, int port)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (System.Text.Encoding.UTF8.GetByteCount(host) > MaxHostLength)
        {
            throw new ArgumentException($"The host name must be at most {MaxHostLength} bytes of UTF-8.", nameof(host));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue);
        ThrowIfDisposed();

        // The native call ignores an unknown broker silently; say so instead.
        ThrowIfUnknownBroker(brokerId);
        LibrdkafkaNative.MockBrokerSetHostPort(_handle, brokerId, host, port);
    }

    /// <summary>
    /// Adds a broker with id <paramref name="brokerId"/> on a new ephemeral port; partition replicas are reassigned
    /// over all brokers. Clients learn of it from Metadata.
    /// </summary>
    /// <exception cref="MockKafkaClusterException">librdkafka refused (e.g. the id is taken).</exception>
    public void AddBroker(int brokerId)
    {
        ThrowIfDisposed();
        lock (_brokersGate)
        {
            Check(Control(h => LibrdkafkaNative.MockBrokerAdd(h, brokerId)), $"Adding broker {brokerId}");
            _brokerIds.Add(brokerId);
            _brokerIds.Sort();
            _brokerIdsSnapshot = [.. _brokerIds];
        }
    }

    /// <summary>
    /// Removes a broker for good: it closes its connections and its listener, leaves Metadata, and its partitions
    /// are reassigned to the remaining brokers.
    /// </summary>
    /// <exception cref="MockKafkaClusterException">No such broker (BROKER_NOT_AVAILABLE).</exception>
    public void DecommissionBroker(int brokerId)
    {
        ThrowIfDisposed();
        lock (_brokersGate)
        {
            Check(Control(h => LibrdkafkaNative.MockBrokerDecommission(h, brokerId)), $"Decommissioning broker {brokerId}");
            _brokerIds.Remove(brokerId);
            _listeners.Remove(brokerId);
            _brokerIdsSnapshot = [.. _brokerIds];
            _handle.Nudger.SetPorts(_listeners.Values.Select(l => l.Port));
        }
    }

    /// <summary>
    /// Makes <paramref name="brokerId"/> the coordinator FindCoordinator returns for a group or a transactional id,
    /// instead of the one chosen by hashing the key.
    /// </summary>
    /// <param name="keyType"><c>"group"</c> or <c>"transaction"</c>.</param>
    /// <param name="key">The group id or transactional id.</param>
    /// <param name="brokerId">The coordinator; it does not have to exist.</param>
    /// <exception cref="MockKafkaClusterException">An unknown key type (_INVALID_ARG).</exception>
    public void SetCoordinator(string keyType, string key, int brokerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyType);
        ArgumentNullException.ThrowIfNull(key);
        ThrowIfDisposed();
        Check(Control(h => LibrdkafkaNative.MockCoordinatorSet(h, keyType, key, brokerId)), $"Setting the {keyType} coordinator of '{key}' to broker {brokerId}");
    }

    /// <summary>
    /// Limits the versions of one API the brokers advertise in ApiVersions and accept (to imitate an older broker).
    /// A request outside the range is logged as an error and its connection closed. -1 and -1 disable the API.
    /// The maximum must not exceed what the mock implements (see docs/testing.md).
    /// </summary>
    /// <param name="apiKey">The Kafka API key, e.g. 3 for Metadata.</param>
    /// <param name="minVersion">The lowest version accepted, or -1.</param>
    /// <param name="maxVersion">The highest version accepted, or -1.</param>
    /// <exception cref="MockKafkaClusterException">An API key the mock does not know (_INVALID_ARG).</exception>
    public void SetApiVersion(short apiKey, short minVersion, short maxVersion)
    {
        ThrowIfDisposed();
        Check(Control(h => LibrdkafkaNative.MockSetApiVersion(h, apiKey, minVersion, maxVersion)), $"Setting the versions of API {apiKey} to {minVersion}-{maxVersion}");
    }

    /// <summary>
    /// Sets the brokers' <c>group.initial.rebalance.delay.ms</c>: how long a new consumer group waits for more members
    /// before its first rebalance. The default is 3 seconds, as in Kafka; tests usually want <see cref="TimeSpan.Zero"/>.
    /// </summary>
    public void SetGroupInitialRebalanceDelay(TimeSpan delay)
    {
        int milliseconds = ToMilliseconds(delay, nameof(delay));
        ThrowIfDisposed();
        LibrdkafkaNative.MockGroupInitialRebalanceDelayMs(_handle, milliseconds);
    }

    /// <summary>
    /// Sets the brokers' <c>group.consumer.session.timeout.ms</c>: how long a member of a consumer-protocol group
    /// (KIP-848) may go without a heartbeat before the coordinator drops it and hands its partitions out.
    /// </summary>
    public void SetConsumerGroupSessionTimeout(TimeSpan timeout)
    {
        int milliseconds = ToMilliseconds(timeout, nameof(timeout));
        ThrowIfDisposed();
        Control(h => LibrdkafkaNative.MockSetGroupConsumerSessionTimeoutMs(h, milliseconds));
    }

    /// <summary>
    /// Sets the brokers' <c>group.consumer.heartbeat.interval.ms</c>: how often members of a consumer-protocol group
    /// (KIP-848) are told to heartbeat, so also how soon a member hears of partitions another member has released.
    /// </summary>
    public void SetConsumerGroupHeartbeatInterval(TimeSpan interval)
    {
        int milliseconds = ToMilliseconds(interval, nameof(interval));
        ThrowIfDisposed();
        Control(h => LibrdkafkaNative.MockSetGroupConsumerHeartbeatIntervalMs(h, milliseconds));
    }

    /// <summary>
    /// Sets the share groups' settings (KIP-932; librdkafka 2.16's mock): the member session timeout, the heartbeat
    /// interval, how many times a record is delivered before it is archived (0 for no limit), how long an acquired
    /// record stays locked to its member, and whether a new share group starts at the earliest offsets (Kafka's
    /// <c>share.auto.offset.reset</c>; the mock, like Kafka, starts at the latest by default). A <see langword="null"/>
    /// leaves a setting as it is. Delivery limit and lock duration apply to existing groups too; the others to new groups.
    /// </summary>
    public void SetShareGroupSettings(
        TimeSpan? sessionTimeout = null,
        TimeSpan? heartbeatInterval = null,
        int? deliveryCountLimit = null,
        TimeSpan? recordLockDuration = null,
        bool? startAtEarliest = null)
    {
        ThrowIfDisposed();
        if (deliveryCountLimit is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(deliveryCountLimit), deliveryCountLimit, "The delivery count limit is 0 (none) or more.");
        }
        int? session = sessionTimeout is { } s ? ToMilliseconds(s, nameof(sessionTimeout)) : null;
        int? interval = heartbeatInterval is { } h ? ToMilliseconds(h, nameof(heartbeatInterval)) : null;
        int? lockMs = recordLockDuration is { } l ? ToMilliseconds(l, nameof(recordLockDuration)) : null;
        Control(handle =>
        {
            if (session is { } sessionMs)
            {
                LibrdkafkaNative.MockShareGroupSetSessionTimeout(handle, sessionMs);
            }
            if (interval is { } intervalMs)
            {
                LibrdkafkaNative.MockShareGroupSetHeartbeatInterval(handle, intervalMs);
            }
            if (deliveryCountLimit is { } limit)
            {
                LibrdkafkaNative.MockShareGroupSetMaxDeliveryAttempts(handle, limit);
            }
            if (lockMs is { } duration)
            {
                LibrdkafkaNative.MockShareGroupSetRecordLockDuration(handle, duration);
            }
            if (startAtEarliest is { } earliest)
            {
                LibrdkafkaNative.MockShareGroupSetAutoOffsetReset(handle, earliest ? 1 : 0);
            }
        });
    }

    /// <summary>
    /// Sets the target assignment of a consumer-protocol group (KIP-848) by hand, in place of the mock's own range
    /// assignment: each member id (as the member chose it) with the partitions it is to own. The coordinator then
    /// moves the group there as Kafka does: a member first gives up what it is to lose, and gets what it is to gain
    /// once the other members have released it. A group the mock does not know yet is left alone.
    /// </summary>
    /// <param name="groupId">The group.</param>
    /// <param name="assignment">Member id → its partitions (topic, partition).</param>
    public void SetConsumerGroupTargetAssignment(string groupId, IReadOnlyDictionary<string, IReadOnlyList<(string Topic, int Partition)>> assignment)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentNullException.ThrowIfNull(assignment);
        ThrowIfDisposed();
        WithMemberPartitionLists(assignment, (ids, lists) =>
        {
            nint target = 0;
            try
            {
                unsafe
                {
                    fixed (nint* idPointers = ids)
                    fixed (nint* listPointers = lists)
                    {
                        target = LibrdkafkaNative.MockConsumerTargetAssignmentNew(idPointers, ids.Length, listPointers);
                    }
                }
                var created = target;
                Control(h => LibrdkafkaNative.MockConsumerTargetAssignment(h, groupId, created));
            }
            finally
            {
                if (target != 0)
                {
                    LibrdkafkaNative.MockConsumerTargetAssignmentDestroy(target);
                }
            }
        });
    }

    /// <summary>
    /// Sets the assignment of a share group (KIP-932) by hand, in place of the mock's own, which gives each partition to
    /// one member only (Kafka's share assignor lets several members share a partition): each member id with the
    /// partitions it is to share. The members hear of it at their next heartbeat. A group the mock does not know yet
    /// is left alone.
    /// </summary>
    /// <param name="groupId">The share group.</param>
    /// <param name="assignment">Member id → its partitions (topic, partition); several members may name the same partition.</param>
    public void SetShareGroupTargetAssignment(string groupId, IReadOnlyDictionary<string, IReadOnlyList<(string Topic, int Partition)>> assignment)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentNullException.ThrowIfNull(assignment);
        ThrowIfDisposed();
        WithMemberPartitionLists(assignment, (ids, lists) =>
        {
            unsafe
            {
                fixed (nint* idPointers = ids)
                fixed (nint* listPointers = lists)
                {
                    var idArray = idPointers;
                    var listArray = listPointers;
                    Control(h => LibrdkafkaNative.MockShareGroupTargetAssignment(h, groupId, (nint)idArray, (nint)listArray, (nuint)ids.Length));
                }
            }
        });
    }

    /// <summary>Native member ids and partition lists for an assignment, freed once <paramref name="use"/> returns.</summary>
    private static void WithMemberPartitionLists(
        IReadOnlyDictionary<string, IReadOnlyList<(string Topic, int Partition)>> assignment, Action<nint[], nint[]> use)
    {
        var members = assignment.ToArray();
        var ids = new nint[members.Length];
        var lists = new nint[members.Length];
        try
        {
            for (var i = 0; i < members.Length; i++)
            {
                ids[i] = Marshal.StringToCoTaskMemUTF8(members[i].Key);
                lists[i] = LibrdkafkaNative.TopicPartitionListNew(Math.Max(members[i].Value.Count, 1));
                foreach (var (topic, partition) in members[i].Value)
                {
                    LibrdkafkaNative.TopicPartitionListAdd(lists[i], topic, partition);
                }
            }
            use(ids, lists);
        }
        finally
        {
            for (var i = 0; i < members.Length; i++)
            {
                if (lists[i] != 0)
                {
                    LibrdkafkaNative.TopicPartitionListDestroy(lists[i]);
                }
                Marshal.FreeCoTaskMem(ids[i]);
            }
        }
    }

    /// <summary>
    /// Makes the next requests with <paramref name="apiKey"/>, to any broker, fail: the first with the first error
    /// code, the next with the second, and so on; then requests succeed again. An error code of -195
    /// (librdkafka's _TRANSPORT) makes the broker close the connection instead of answering.
    /// </summary>
    /// <param name="apiKey">The Kafka API key, e.g. 0 for Produce.</param>
    /// <param name="errorCodes">Kafka error codes, e.g. 6 (NOT_LEADER_OR_FOLLOWER), 7 (REQUEST_TIMED_OUT).</param>
    public void PushRequestErrors(short apiKey, params ReadOnlySpan<short> errorCodes)
    {
        ThrowIfDisposed();
        if (errorCodes.IsEmpty)
        {
            return;
        }

        // rd_kafka_resp_err_t is a C enum: one int per error.
        int[] errors = new int[errorCodes.Length];
        for (int i = 0; i < errors.Length; i++)
        {
            errors[i] = errorCodes[i];
        }

        unsafe
        {
            fixed (int* p = errors)
            {
                LibrdkafkaNative.MockPushRequestErrorsArray(_handle, apiKey, (nuint)errors.Length, p);
            }
        }
    }

    /// <summary>Forgets the errors pushed with <see cref="PushRequestErrors"/> for <paramref name="apiKey"/> and not yet returned.</summary>
    public void ClearRequestErrors(short apiKey)
    {
        ThrowIfDisposed();
        LibrdkafkaNative.MockClearRequestErrors(_handle, apiKey);
    }

    /// <summary>
    /// Like <see cref="PushRequestErrors"/> but for one broker, with a delay per response: each of the next requests
    /// with <paramref name="apiKey"/> to <paramref name="brokerId"/> is answered after its <c>Rtt</c> with its
    /// <c>ErrorCode</c> (0 to answer normally, only late). These take precedence over the cluster-wide errors.
    /// </summary>
    /// <exception cref="MockKafkaClusterException">No such broker (_UNKNOWN_BROKER).</exception>
    /// <exception cref="PlatformNotSupportedException">On Apple arm64, where the variadic native function cannot be called.</exception>
    public void PushBrokerRequestErrorRtts(int brokerId, short apiKey, params (short ErrorCode, TimeSpan Rtt)[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);

        // See LibrdkafkaNative.MockBrokerPushRequestErrorRtt: a fixed prototype for a variadic function.
        Architecture arch = RuntimeInformation.ProcessArchitecture;
        if (!(arch == Architecture.X64 || (arch == Architecture.Arm64 && !OperatingSystem.IsMacOS())))
        {
            throw new PlatformNotSupportedException("PushBrokerRequestErrorRtts calls a variadic C function, supported on x64 and non-Apple arm64 only.");
        }

        Span<int> milliseconds = errors.Length <= 64 ? stackalloc int[errors.Length] : new int[errors.Length];
        for (int i = 0; i < errors.Length; i++)
        {
            milliseconds[i] = ToMilliseconds(errors[i].Rtt, nameof(errors));
        }

        ThrowIfDisposed();

        // One entry a call: the native function appends to the broker's stack, so this equals one call with all entries.
        for (int i = 0; i < errors.Length; i++)
        {
            Check(LibrdkafkaNative.MockBrokerPushRequestErrorRtt(_handle, brokerId, apiKey, 1, errors[i].ErrorCode, milliseconds[i]),
                $"Pushing errors for API {apiKey} on broker {brokerId}");
        }
    }

    /// <summary>
    /// With <c>guardGroupProtocols</c>, every JoinGroup the cluster refused because librdkafka's mock would have aborted
    /// the process over it: which group, the protocols the member offered and those of the member already in the group.
    /// Empty without the guard.
    /// </summary>
    public IReadOnlyList<string> GroupProtocolRefusals => _groupGuard?.Refusals ?? [];

    /// <summary>
    /// With <c>completeTransactions</c>, the offsets of committed transactions that could not be stored in their group
    /// (for example refused because the member had left the generation), each with why. Empty otherwise.
    /// </summary>
    public IReadOnlyList<string> TransactionOffsetFailures => _transactions?.Failures ?? [];

    /// <summary>
    /// With <c>transactionsV2</c>, what the translation for transactions V2 could not do (a partition or group the mock
    /// refused to add to a transaction, an epoch it could not bump), each with the error; empty otherwise.
    /// </summary>
    public IReadOnlyList<string> TransactionsV2Failures => _transactionsV2?.Failures ?? [];

    /// <summary>Starts recording every request the brokers receive, clearing what was recorded before.</summary>
    public void StartRequestTracking()
    {
        ThrowIfDisposed();
        LibrdkafkaNative.MockStartRequestTracking(_handle);
        if (_versionProxies is not null)
        {
            foreach (var proxy in _versionProxies.Values)
            {
                proxy.ClearRequests();
            }
            _proxyTracking = true;
        }
    }

    /// <summary>Stops recording requests. librdkafka also clears the recorded requests at this point.</summary>
    public void StopRequestTracking()
    {
        ThrowIfDisposed();
        LibrdkafkaNative.MockStopRequestTracking(_handle);
        _proxyTracking = false;
    }

    /// <summary>Forgets the requests recorded so far; recording continues if it was on.</summary>
    public void ClearRequests()
    {
        ThrowIfDisposed();
        LibrdkafkaNative.MockClearRequests(_handle);
        if (_versionProxies is not null)
        {
            foreach (var proxy in _versionProxies.Values)
            {
                proxy.ClearRequests();
            }
        }
    }

    /// <summary>
    /// The requests recorded since <see cref="StartRequestTracking"/> (or the last <see cref="ClearRequests"/>), in
    /// the order the brokers received them. Empty when tracking is off.
    /// </summary>
    public IReadOnlyList<MockRequest> GetRequests()
    {
        ThrowIfDisposed();
        if (_versionProxies is not null)
        {
            // The proxies saw every request on the wire, version included.
            return !_proxyTracking
                ? []
                : [.. _versionProxies.Values
                    .SelectMany(p => p.Requests.Select(r => new MockRequest(p.BrokerId, r.ApiKey, r.Timestamp) { ApiVersion = r.ApiVersion }))
                    .OrderBy(r => r.Timestamp)];
        }
        unsafe
        {
            nuint count;
            nint* requests = LibrdkafkaNative.MockGetRequests(_handle, &count);
            if (requests == null)
            {
                return [];
            }

            try
            {
                // Sample both clocks together to map librdkafka's clock onto wall-clock time.
                DateTimeOffset wallNow = DateTimeOffset.UtcNow;
                long monotonicNowMicroseconds = MonotonicMicroseconds();

                var result = new MockRequest[(int)count];
                for (int i = 0; i < result.Length; i++)
                {
                    nint request = requests[i];
                    long micros = LibrdkafkaNative.MockRequestTimestamp(request);
                    result[i] = new MockRequest(
                        LibrdkafkaNative.MockRequestBrokerId(request),
                        LibrdkafkaNative.MockRequestApiKey(request),
                        ToWallClock(micros, wallNow, monotonicNowMicroseconds));
                }

                return result;
            }
            finally
            {
                LibrdkafkaNative.MockRequestDestroyArray(requests, count);
            }
        }
    }

    /// <summary>Shuts the brokers down (closing every client connection) and frees the native cluster. Safe to call more than once.</summary>
    public void Dispose()
    {
        _handle.Dispose();
        if (_versionProxies is not null)
        {
            foreach (var proxy in _versionProxies.Values)
            {
                proxy.Dispose();
            }
        }
    }

    /// <summary>Like <see cref="Dispose"/>; the native shutdown takes a few milliseconds and runs synchronously.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"MockKafkaCluster({BootstrapServers})";

    private static long MonotonicMicroseconds() =>
        (long)((Int128)Stopwatch.GetTimestamp() * 1_000_000 / Stopwatch.Frequency);

    private static DateTimeOffset ToWallClock(long micros, DateTimeOffset wallNow, long monotonicNowMicroseconds)
    {
        // librdkafka's rd_clock(): gettimeofday on macOS, the same monotonic source as Stopwatch elsewhere
        // (CLOCK_MONOTONIC on Linux, QueryPerformanceCounter on Windows).
        if (OperatingSystem.IsMacOS())
        {
            return DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);
        }

        return wallNow - TimeSpan.FromTicks((monotonicNowMicroseconds - micros) * TimeSpan.TicksPerMicrosecond);
    }

    private static int ToMilliseconds(TimeSpan value, string parameterName)
    {
        if (value < TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(parameterName, value, "Must be zero or more, and at most int.MaxValue milliseconds.");
        }

        return (int)value.TotalMilliseconds;
    }

    private static Dictionary<int, (string Host, int Port)> ParseBootstrapServers(string bootstrapServers)
    {
        // The brokers are listed in id order, 1 to N.
        var listeners = new Dictionary<int, (string, int)>();
        string[] entries = bootstrapServers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (int i = 0; i < entries.Length; i++)
        {
            int colon = entries[i].LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(entries[i].AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
            {
                throw new MockKafkaClusterException($"Unexpected bootstrap servers from librdkafka: '{bootstrapServers}'.");
            }

            listeners[i + 1] = (entries[i][..colon], port);
        }

        return listeners;
    }

    private (string Host, int Port) GetListener(int brokerId)
    {
        lock (_brokersGate)
        {
            if (_listeners.TryGetValue(brokerId, out var listener))
            {
                return listener;
            }

            if (_brokerIds.Contains(brokerId))
            {
                throw new InvalidOperationException(
                    $"Broker {brokerId} was added after start; librdkafka only advertises its address in Metadata responses.");
            }

            throw new ArgumentOutOfRangeException(nameof(brokerId), brokerId, $"No broker {brokerId}; the brokers are {string.Join(", ", _brokerIds)}.");
        }
    }

    private void ThrowIfUnknownBroker(int brokerId)
    {
        lock (_brokersGate)
        {
            if (!_brokerIds.Contains(brokerId))
            {
                throw new ArgumentOutOfRangeException(nameof(brokerId), brokerId, $"No broker {brokerId}; the brokers are {string.Join(", ", _brokerIds)}.");
            }
        }
    }

    // Calls librdkafka serves on the mock thread (rd_kafka_op_req), with the wake-up workaround.
    private int Control(Func<MockClusterHandle, int> call)
    {
        using (_handle.Nudger.Arm())
        {
            return call(_handle);
        }
    }

    private void Control(Action<MockClusterHandle> call)
    {
        using (_handle.Nudger.Arm())
        {
            call(_handle);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_handle.IsClosed, this);

    private static void Check(int error, string operation)
    {
        if (error != 0)
        {
            string name = LibrdkafkaNative.ErrorName(error);
            throw new MockKafkaClusterException(
                $"{operation} failed: librdkafka error {name} ({error.ToString(CultureInfo.InvariantCulture)}): {LibrdkafkaNative.ErrorDescription(error)}",
                error,
                name);
        }
    }
}
