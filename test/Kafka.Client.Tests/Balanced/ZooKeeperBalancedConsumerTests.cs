using System.Text;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Kafka.Testing;
using Kafka.ZooKeeper;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Balanced;

/// <summary>
/// Balanced consumers coordinated through ZooKeeper (<c>Managed = false</c>, pykafka's <c>BalancedConsumer</c>): a real
/// ZooKeeper 3.8 server holds the group's registrations, librdkafka's mock brokers the data. The ZooKeeper nodes are
/// read back and written with this project's ZooKeeper client, playing a pykafka member where a test needs another
/// member's claim. Each test has its own chroot.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed partial class ZooKeeperBalancedConsumerTests
{
    private const string Topic = "orders";
    private ZooKeeperServer _zooKeeper = null!;

    [OneTimeSetUp]
    public async Task StartZooKeeper()
    {
        _zooKeeper = new ZooKeeperServer();
        await _zooKeeper.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopZooKeeper() => await _zooKeeper.DisposeAsync();

    [Test]
    public async Task A_member_registers_and_claims_partitions_in_pykafkas_layout_and_removes_them_when_it_stops()
    {
        await using var s = await ZooKeeperScenario.StartAsync(_zooKeeper.ConnectString, partitions: 12);
        var member = await s.StartMemberAsync("m1");
        await s.WaitUntilAsync(() => member.Consumer.Assignment.Count == 12, "the only member owns every partition");

        Assert.That(member.Consumer.IsManaged, Is.False);
        Assert.That(member.Consumer, Is.Not.InstanceOf<ManagedBalancedConsumer>());
        Assert.That(member.Consumer.MemberId, Does.Match("^" + Regex.Escape(System.Net.Dns.GetHostName()) + ":[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$"));
        await using var zk = s.NewZooKeeperClient();
        var ids = await zk.GetChildrenAsync($"/consumers/{s.GroupId}/ids");
        Assert.That(ids.Children, Is.EqualTo(new[] { member.Consumer.MemberId }));
        var registration = await zk.GetDataAsync($"/consumers/{s.GroupId}/ids/{member.Consumer.MemberId}");
        Assert.That(Encoding.UTF8.GetString(registration.Data.Span), Is.EqualTo(Topic), "the registration holds the raw topic name");
        Assert.That(registration.Stat.IsEphemeral);

        // Claims under the topic's name (pykafka on Python 2) and under b'orders' (pykafka on Python 3).
        var leaders = s.Client.Topics[Topic].Partitions.Values.ToDictionary(p => p.Id, p => p.Leader!.Id);
        foreach (var ownersPath in OwnersPaths(s.GroupId))
        {
            var owners = await zk.GetChildrenAsync(ownersPath);
            Assert.That(owners.Children, Is.EquivalentTo(leaders.Select(kv => $"{kv.Value}-{kv.Key}")), ownersPath);
            foreach (var node in owners.Children)
            {
                var owner = await zk.GetDataAsync($"{ownersPath}/{node}");
                Assert.That(Encoding.UTF8.GetString(owner.Data.Span), Is.EqualTo(member.Consumer.MemberId), node);
                Assert.That(owner.Stat.EphemeralOwner, Is.EqualTo(registration.Stat.EphemeralOwner), node);
            }
        }

        var sent = await s.ProduceAsync(12, 5);
        await s.WaitUntilConsumedAsync(sent);
        await member.DisposeAsync();
        Assert.That((await zk.GetChildrenAsync($"/consumers/{s.GroupId}/ids")).Children, Is.Empty);
        foreach (var ownersPath in OwnersPaths(s.GroupId))
        {
            Assert.That((await zk.GetChildrenAsync(ownersPath)).Children, Is.Empty, ownersPath);
        }
        Assert.That(s.Duplicates(), Is.Zero);
    }

    [Test]
    public async Task Three_members_split_twelve_partitions_as_their_claims_in_ZooKeeper_say_and_consume_every_message()
    {
        await using var s = await ZooKeeperScenario.StartAsync(_zooKeeper.ConnectString, partitions: 12);
        var members = new[] { await s.StartMemberAsync("m1"), await s.StartMemberAsync("m2"), await s.StartMemberAsync("m3") };
        await s.WaitForSplitAsync(members, 12);

        Assert.That(members.All(m => m.Consumer.Assignment.Count == 4), string.Join("; ", members.Select(m => m.ToString())));
        var claims = await s.ReadClaimsAsync();
        foreach (var member in members)
        {
            var claimed = claims.Where(kv => kv.Value == member.Consumer.MemberId).Select(kv => kv.Key).Order();
            Assert.That(member.Consumer.Assignment.Select(p => p.Partition), Is.EqualTo(claimed), member.Name);
        }
        var sent = await s.ProduceAsync(12, 20);
        await s.WaitUntilConsumedAsync(sent);
        Assert.That(s.Duplicates(), Is.Zero, "no rebalance after the split, so nothing is read twice");
    }

    [Test]
    public async Task Members_that_leave_and_join_hand_partitions_over_from_their_commits()
    {
        await using var s = await ZooKeeperScenario.StartAsync(_zooKeeper.ConnectString, partitions: 12);
        var a = await s.StartMemberAsync("a");
        var b = await s.StartMemberAsync("b");
        await s.WaitForSplitAsync([a, b], 12);
        var first = await s.ProduceAsync(12, 10);
        await s.WaitUntilConsumedAsync(first);

        var c = await s.StartMemberAsync("c");
        await s.WaitForSplitAsync([a, b, c], 12);
        var second = await s.ProduceAsync(12, 10, start: 10);
        await s.WaitUntilConsumedAsync([.. first, .. second]);

        await b.DisposeAsync();
        await s.WaitForSplitAsync([a, c], 12);
        var third = await s.ProduceAsync(12, 10, start: 20);
        await s.WaitUntilConsumedAsync([.. first, .. second, .. third]);

        Assert.That(s.ConsumedAgainAfter("b"), Is.Empty, "b committed what it had handled before it let its partitions go");
        Assert.That(s.ConsumedAgainAfter("a"), Is.Empty, "a committed before giving partitions to c");
        Assert.That(c.Records, Is.Not.Empty);
    }

    [TestCase(Topic)]
    [TestCase("b'" + Topic + "'")]
    public async Task A_partition_another_member_still_owns_is_claimed_as_soon_as_that_member_lets_go(string ownersTopic)
    {
        await using var s = await ZooKeeperScenario.StartAsync(_zooKeeper.ConnectString, partitions: 12);
        // A pykafka member (on Python 2, then on Python 3) slow to give partition 5 up: its owner node is still there, in its own session.
        await using var other = s.NewZooKeeperClient();
        var leader = s.Client.Topics[Topic].Partitions[5].Leader!.Id;
        var node = $"/consumers/{s.GroupId}/owners/{ownersTopic}/{leader}-5";
        await other.EnsurePathAsync($"/consumers/{s.GroupId}/owners/{ownersTopic}");
        await other.CreateAsync(node, Encoding.UTF8.GetBytes("pykafka-host:2f1c1d4e-0000-4000-8000-000000000000"), CreateMode.Ephemeral);

        // A retry backoff longer than the test's deadline: only the watch on the owner node can make the claim prompt.
        var options = s.Options();
        options.RebalanceBackoff = TimeSpan.FromMinutes(5);
        var member = await s.StartMemberAsync("m1", options: options);
        await s.WaitUntilAsync(() => member.Consumer.Assignment.Count == 11, "every partition but 5");
        Assert.That(member.Consumer.Assignment.Select(p => p.Partition), Does.Not.Contain(5));
        var sent = await s.ProduceAsync(12, 5);
        await s.WaitUntilConsumedAsync([.. sent.Where(m => m.Partition != 5)]);
        Assert.That(member.Records.Where(r => r.Partition == 5), Is.Empty, "a partition another member owns is not consumed");

        await other.DeleteAsync(node);
        await s.WaitUntilAsync(() => member.Consumer.Assignment.Count == 12, "partition 5 claimed once released");
        await s.WaitUntilConsumedAsync(sent);
        var claims = await s.ReadClaimsAsync();
        Assert.That(claims.Values.Distinct(), Is.EqualTo(new[] { member.Consumer.MemberId }));
    }

    [Test]
    public async Task An_expired_session_gives_the_partitions_up_and_the_member_registers_again()
    {
        // The member reaches ZooKeeper through a proxy that can stop serving it, long enough for its session to expire.
        await using var proxy = new TcpProxy("127.0.0.1", _zooKeeper.Port);
        await using var s = await ZooKeeperScenario.StartAsync(_zooKeeper.ConnectString, partitions: 6);
        var options = s.Options(proxy.Address + s.Chroot);
        options.ZooKeeperSessionTimeout = TimeSpan.FromSeconds(2);
        var member = await s.StartMemberAsync("m1", options: options);
        var peer = await s.StartMemberAsync("peer");
        await s.WaitForSplitAsync([member, peer], 6);
        var first = await s.ProduceAsync(6, 5);
        await s.WaitUntilConsumedAsync(first);
        var before = await s.ReadClaimsAsync();

        proxy.StallNextConnections(10_000);
        proxy.CutAllConnections();
        await s.WaitUntilAsync(() => member.Consumer.Assignment.Count == 0, "the member gives up its partitions as lost");
        await s.WaitUntilAsync(() => peer.Consumer.Assignment.Count == 6, "the other member takes every partition once the session expired");
        var second = await s.ProduceAsync(6, 5, start: 5);
        await s.WaitUntilConsumedAsync([.. first, .. second]);

        proxy.StallNextConnections(0);
        await s.WaitForSplitAsync([member, peer], 6);
        var third = await s.ProduceAsync(6, 5, start: 10);
        await s.WaitUntilConsumedAsync([.. first, .. second, .. third]);
        var after = await s.ReadClaimsAsync();
        Assert.That(after.Values.Count(v => v == member.Consumer.MemberId), Is.EqualTo(3), "the same consumer id claims its share again");
        Assert.That(before.Values.Count(v => v == member.Consumer.MemberId), Is.EqualTo(3));
    }

    [Test]
    public async Task Offsets_committed_by_ZooKeeper_members_are_what_Kafka_consumers_of_the_group_read_and_the_other_way_round()
    {
        await using var s = await ZooKeeperScenario.StartAsync(_zooKeeper.ConnectString, partitions: 4);
        var member = await s.StartMemberAsync("m1");
        await s.WaitUntilAsync(() => member.Consumer.Assignment.Count == 4, "every partition");
        var sent = await s.ProduceAsync(4, 5);
        await s.WaitUntilConsumedAsync(sent);
        await member.Consumer.CommitOffsetsAsync();

        using var confluent = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = s.Cluster.BootstrapServers,
            GroupId = s.GroupId,
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        var partitions = Enumerable.Range(0, 4).Select(p => new Confluent.Kafka.TopicPartition(Topic, p)).ToList();
        var committed = confluent.Committed(partitions, TimeSpan.FromSeconds(10));
        Assert.That(committed.Select(c => c.Offset.Value), Is.All.EqualTo(5L), "the next offset to read, as every Kafka client reads it");

        await member.DisposeAsync();
        confluent.Commit([.. partitions.Select(p => new TopicPartitionOffset(p, new Offset(p.Partition.Value)))]);
        var next = await s.StartMemberAsync("m2");
        await s.WaitUntilAsync(() => next.Consumer.Assignment.Count == 4, "every partition");
        await s.WaitUntilAsync(() => next.Records.Count == 5 + 4 + 3 + 2, "the rest of each partition");
        Assert.That(next.Records.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => g.Min(r => r.Offset)),
            Is.EquivalentTo(new Dictionary<int, long> { [0] = 0, [1] = 1, [2] = 2, [3] = 3 }), "started where Confluent.Kafka committed");
    }

    private static string[] OwnersPaths(string group) => [$"/consumers/{group}/owners/{Topic}", $"/consumers/{group}/owners/b'{Topic}'"];

    /// <summary>A mock cluster, a ZooKeeper chroot, a group and its members.</summary>
    private sealed class ZooKeeperScenario : IAsyncDisposable
    {
        private readonly BalancedScenario _inner;
        private readonly string _connectString;

        private ZooKeeperScenario(BalancedScenario inner, string connectString, KafkaClient client)
        {
            _inner = inner;
            _connectString = connectString;
            Client = client;
            Chroot = "/zkgroup-" + Guid.NewGuid().ToString("N")[..10];
        }

        public MockKafkaCluster Cluster => _inner.Cluster;

        public string GroupId => _inner.GroupId;

        public string Chroot { get; }

        /// <summary>A client of the test's own, for reading the topic's leaders.</summary>
        public KafkaClient Client { get; }

        public static async Task<ZooKeeperScenario> StartAsync(string connectString, int partitions)
        {
            var inner = new BalancedScenario();
            inner.Cluster.CreateTopic(Topic, partitions, 3);
            var client = NewClient(inner.Cluster);
            await client.UpdateClusterAsync(Timeout());
            var scenario = new ZooKeeperScenario(inner, connectString, client);
            await using var zk = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = connectString });
            await zk.CreateAsync(scenario.Chroot);
            return scenario;
        }

        public BalancedConsumerOptions Options(string? zooKeeperHosts = null)
        {
            var options = BalancedScenario.Options();
            options.Managed = false;
            options.ZooKeeperHosts = zooKeeperHosts ?? _connectString + Chroot;
            return options;
        }

        public ZooKeeperClient NewZooKeeperClient() => new(new ZooKeeperClientOptions { ConnectString = _connectString + Chroot });

        public Task<TestBalancedMember> StartMemberAsync(string name, BalancedConsumerOptions? options = null) =>
            _inner.StartMemberAsync(name, commitEvery: 1, options ?? Options());

        public Task<List<(int Partition, long Offset)>> ProduceAsync(int partitions, int perPartition, int start = 0) =>
            _inner.ProduceAsync(partitions, perPartition, start);

        public Task WaitUntilAsync(Func<bool> condition, string what) => _inner.WaitUntilAsync(condition, what);

        public Task WaitForSplitAsync(IReadOnlyList<TestBalancedMember> members, int partitions) => _inner.WaitForSplitAsync(members, partitions);

        public Task WaitUntilConsumedAsync(IReadOnlyCollection<(int Partition, long Offset)> sent) => _inner.WaitUntilConsumedAsync(sent);

        public List<string> ConsumedAgainAfter(string member) => _inner.ConsumedAgainAfter(member);

        public int Duplicates() => _inner.Duplicates();

        /// <summary>The partition each owner node claims, with the consumer id it holds.</summary>
        public async Task<Dictionary<int, string>> ReadClaimsAsync()
        {
            await using var zk = NewZooKeeperClient();
            var path = $"/consumers/{GroupId}/owners/{Topic}";
            var claims = new Dictionary<int, string>();
            foreach (var node in (await zk.GetChildrenAsync(path)).Children)
            {
                var data = await zk.GetDataAsync($"{path}/{node}");
                claims.Add(int.Parse(node[(node.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetString(data.Data.Span));
            }
            return claims;
        }

        public async ValueTask DisposeAsync()
        {
            await _inner.DisposeAsync();
            await Client.DisposeAsync();
        }
    }
}
