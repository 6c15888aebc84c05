using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Kafka.Client.Tests.Support;
using Kafka.Testing;
using static Kafka.Client.Tests.Groups.GroupTestSupport;

namespace Kafka.Client.Tests.Sharing;

/// <summary>
/// A share group on librdkafka's mock brokers (KIP-932): the mock's coordinator assigns, and its share partitions
/// acquire, lock, count deliveries and archive records as Kafka's do. Members are share consumers of this client, each
/// on a client of its own; records are written by Confluent.Kafka.
/// </summary>
internal sealed class ShareScenario : IAsyncDisposable
{
    public const string Topic = "jobs";
    private readonly List<KafkaClient> _clients = [];
    private readonly List<ShareConsumer> _consumers = [];
    private readonly List<TcpProxy> _proxies = [];
    private IProducer<byte[], byte[]>? _producer;

    public ShareScenario(int partitions = 1, TimeSpan? recordLock = null, int deliveryLimit = 5)
    {
        Cluster = StartCluster();
        Cluster.SetShareGroupSettings(
            sessionTimeout: TimeSpan.FromSeconds(10),
            heartbeatInterval: TimeSpan.FromMilliseconds(200),
            deliveryCountLimit: deliveryLimit,
            recordLockDuration: recordLock ?? TimeSpan.FromSeconds(30),
            startAtEarliest: true);
        Cluster.CreateTopic(Topic, partitions, 3);
    }

    public MockKafkaCluster Cluster { get; }

    public CapturingLoggerFactory Logs { get; } = new();

    public string GroupId { get; } = "share-" + Guid.NewGuid().ToString("N")[..8];

    public static ShareConsumerOptions Options(ShareAcknowledgementMode mode = ShareAcknowledgementMode.Explicit) => new()
    {
        AcknowledgementMode = mode,
        FetchWaitMax = TimeSpan.FromMilliseconds(100),
        MaxPollRecords = 20,
        RetryBackoff = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>The proxies <see cref="ProxyEveryBroker"/> put in front of the brokers.</summary>
    public IReadOnlyList<TcpProxy> Proxies => _proxies;

    /// <summary>
    /// Puts a <see cref="TcpProxy"/> in front of every broker and advertises it, so a test can cut one member off
    /// (<see cref="TcpProxy.IsolateSource"/>); members started afterwards bootstrap through the proxies too.
    /// </summary>
    public void ProxyEveryBroker()
    {
        foreach (var id in Cluster.BrokerIds)
        {
            var target = Cluster.GetBrokerAddress(id).Split(':');
            var proxy = new TcpProxy(target[0], int.Parse(target[1], System.Globalization.CultureInfo.InvariantCulture)) { BrokerId = id };
            _proxies.Add(proxy);
            Cluster.SetBrokerHostPort(id, "127.0.0.1", proxy.Port);
        }
    }

    /// <param name="options">The consumer's options; <see cref="Options"/> by default.</param>
    /// <param name="sourceAddress">The local address the member's client binds to (<see cref="KafkaClientOptions.SourceAddress"/>).</param>
    public async Task<ShareConsumer> StartMemberAsync(ShareConsumerOptions? options = null, string? sourceAddress = null)
    {
        var client = NewGroupClient(Cluster, Logs,
            hosts: _proxies.Count > 0 ? string.Join(',', _proxies.Select(p => p.Address)) : null, sourceAddress: sourceAddress);
        _clients.Add(client);
        await client.UpdateClusterAsync(TestSupport.Timeout());
        var consumer = client.GetShareConsumer([Topic], GroupId, options ?? Options());
        _consumers.Add(consumer);
        return consumer;
    }

    /// <summary>
    /// Gives every member every partition, as Kafka's share assignor does when members outnumber partitions (the
    /// mock's own assignor gives a partition to one member only), and waits until each member shares them all.
    /// </summary>
    public async Task ShareAllPartitionsAsync(IReadOnlyList<ShareConsumer> members, int partitions = 1)
    {
        await WaitUntilAsync(() => members.All(m => m.MemberEpoch > 0), "every member joined");
        IReadOnlyList<(string Topic, int Partition)> all = [.. Enumerable.Range(0, partitions).Select(p => (Topic, p))];
        Cluster.SetShareGroupTargetAssignment(GroupId, members.ToDictionary(m => m.MemberId, _ => all));
        await WaitUntilAsync(() => members.All(m => m.Assignment.Count == partitions), "every member shares every partition");
    }

    /// <summary>
    /// Writes with one Confluent.Kafka producer kept for the whole scenario: the mock ends every share session on a
    /// broker when any connection to it closes (docs/testing.md), so a producer closed after each batch would take
    /// records from the members that hold them.
    /// </summary>
    public async Task<List<(int Partition, long Offset)>> ProduceAsync(int count, int partitions = 1)
    {
        var producer = _producer ??= TestSupport.PeerProducer(Cluster);
        var pending = new List<Task<DeliveryResult<byte[], byte[]>>>();
        for (var i = 0; i < count; i++)
        {
            pending.Add(producer.ProduceAsync(new TopicPartition(Topic, i % partitions),
                new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes($"k{i}"), Value = Encoding.UTF8.GetBytes($"job-{i}") }));
        }
        var results = await Task.WhenAll(pending);
        return [.. results.Select(r => (r.Partition.Value, r.Offset.Value))];
    }

    /// <summary>
    /// Polls until <paramref name="done"/> holds, handing each record to <paramref name="handle"/>; when
    /// <paramref name="token"/> ends first, fails the test naming <paramref name="what"/> it waited for.
    /// </summary>
    public static async Task PollUntilAsync(ShareConsumer consumer, Func<bool> done, Action<ConsumedMessage> handle, CancellationToken token, string what = "the records it waited for")
    {
        try
        {
            while (!done())
            {
                foreach (var message in await consumer.PollAsync(token))
                {
                    handle(message);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            Assert.Fail($"Timed out polling {consumer} for {what}.");
        }
    }

    public async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        try
        {
            await Eventually.WaitUntilAsync(condition, what, TimeSpan.FromSeconds(40));
        }
        catch
        {
            Dump();
            throw;
        }
    }

    public void Dump()
    {
        foreach (var entry in Logs.Entries.Where(e => e.Contains("Share", StringComparison.Ordinal) || e.Contains("Connection", StringComparison.Ordinal)))
        {
            TestContext.Out.WriteLine(entry);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var consumer in _consumers)
        {
            await consumer.DisposeAsync();
        }
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        _producer?.Dispose();
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }
        await Cluster.DisposeAsync();
        Logs.Dispose();
    }
}

/// <summary>What the members of a share group test handled: each record with who got it and how many times it was delivered.</summary>
internal sealed class ShareLedger
{
    public ConcurrentQueue<(string Member, int Partition, long Offset, int DeliveryCount, string Value)> Deliveries { get; } = new();

    public void Add(string member, ConsumedMessage message) =>
        Deliveries.Enqueue((member, message.PartitionId, message.Offset, message.DeliveryCount ?? -1, Encoding.UTF8.GetString(message.Value.Span)));
}
