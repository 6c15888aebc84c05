using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Kafka.Testing;
using static Kafka.Client.Tests.Groups.GroupTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Balanced;

/// <summary>ManagedBalancedConsumer against librdkafka's mock brokers: members of one group split and hand over partitions.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class BalancedConsumerTests
{
    private const string Topic = "orders";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(40);

    [Test]
    public async Task Three_members_split_twelve_partitions_and_consume_every_message()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 12, 3);
        var members = new[] { await s.StartMemberAsync("m1"), await s.StartMemberAsync("m2"), await s.StartMemberAsync("m3") };
        await s.WaitForSplitAsync(members, 12);
        var sent = await s.ProduceAsync(12, 20);

        await s.WaitUntilConsumedAsync(sent);

        var owned = members.SelectMany(m => m.Consumer.Assignment).ToList();
        Assert.That(owned, Is.EquivalentTo(AllPartitions(Topic, 12)), "disjoint sets covering every partition");
        Assert.That(members.All(m => m.Consumer.Assignment.Count == 4), $"{string.Join("; ", members.Select(m => m.ToString()))}");
        s.AssertNoPartitionConsumedTwiceInAGeneration();
    }

    [Test]
    public async Task A_batch_in_hand_during_a_rebalance_is_consumed_again_by_the_next_owner()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 4, 3);
        var sent = await s.ProduceAsync(4, 10);
        await using var client = NewGroupClient(s.Cluster, new Support.CapturingLoggerFactory());
        await client.UpdateClusterAsync(Timeout());
        await using var holder = client.Topics[Topic].GetBalancedConsumer(s.GroupId, BalancedScenario.Options());
        MessageBatch batch;
        using (var deadline = new CancellationTokenSource(Deadline))
        {
            do
            {
                batch = await holder.ConsumeBatchAsync(1000, deadline.Token);
            }
            while (batch.Count == 0);
        }
        // The batch is in hand (not handled) until the next call: a rebalance now must not count it as consumed.
        var firstInHand = batch.GroupBy(m => m.PartitionId).ToDictionary(g => g.Key, g => g.Min(m => m.Offset));
        var other = await s.StartMemberAsync("other");
        await s.WaitUntilAsync(() => other.Consumer.Assignment.Count == 2 && holder.Assignment.Count == 2, "the two members split the partitions");

        var moved = other.Consumer.Assignment.Select(p => p.Partition).ToList();
        await s.WaitUntilAsync(() => moved.All(p => other.Records.Count(r => r.Partition == p) >= 10 - firstInHand.GetValueOrDefault(p)), "the moved partitions consumed");
        foreach (var p in moved.Where(firstInHand.ContainsKey))
        {
            Assert.That(other.Records.Where(r => r.Partition == p).Min(r => r.Offset), Is.EqualTo(firstInHand[p]),
                $"partition {p}: the next owner starts at the batch's first message there");
        }
        Assert.That(sent, Has.Count.EqualTo(40));
    }

    [Test]
    public async Task When_a_member_leaves_the_others_take_over_and_consume_the_rest()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 12, 3);
        var members = new[] { await s.StartMemberAsync("m1"), await s.StartMemberAsync("m2"), await s.StartMemberAsync("m3") };
        await s.WaitForSplitAsync(members, 12);
        var first = await s.ProduceAsync(12, 10);
        await s.WaitUntilConsumedAsync(first);

        await members[1].DisposeAsync();
        var second = await s.ProduceAsync(12, 10, start: 10);

        await s.WaitForSplitAsync([members[0], members[2]], 12);
        await s.WaitUntilConsumedAsync([.. first, .. second]);
        Assert.That(members[1].Records.Select(r => r.Offset), Is.Not.Empty);
        Assert.That(s.ConsumedAgainAfter("m2"), Is.Empty, "the leaving member committed what it consumed");
        s.AssertNoPartitionConsumedTwiceInAGeneration();
    }

    [Test]
    public async Task Every_message_is_handled_at_least_once_across_a_restart()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 12, 3);
        var a = await s.StartMemberAsync("a", commitEvery: 5);
        var b = await s.StartMemberAsync("b", commitEvery: 5);
        await s.WaitForSplitAsync([a, b], 12);
        var first = await s.ProduceAsync(12, 15);
        await s.WaitUntilAsync(() => b.Records.Count >= 30, "b consumed some messages");

        await b.DisposeAsync();
        var second = await s.ProduceAsync(12, 15, start: 15);
        var b2 = await s.StartMemberAsync("b2", commitEvery: 5);
        await s.WaitForSplitAsync([a, b2], 12);

        await s.WaitUntilConsumedAsync([.. first, .. second]);
        // b committed what it had handled as it stopped. (Other duplicates come from rebalances: the mock refuses a
        // commit once a rebalance has begun, where Kafka accepts it, so partitions handed over in a rebalance start
        // again from the last commit before it.)
        Assert.That(s.ConsumedAgainAfter("b"), Is.Empty);
        s.AssertNoPartitionConsumedTwiceInAGeneration();
    }

    [Test]
    public async Task A_confluent_consumer_and_ours_split_the_partitions_of_one_group()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 12, 3);
        var ours = await s.StartMemberAsync("ours");
        await using var peerMember = new PeerGroupConsumer(new ConsumerConfig
        {
            BootstrapServers = s.Cluster.BootstrapServers,
            GroupId = s.GroupId,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.Range,
            SessionTimeoutMs = (int)SessionTimeout.TotalMilliseconds,
            HeartbeatIntervalMs = 300,
        }, Topic);
        await s.AssertSplitWithPeerAsync(ours, peerMember);
    }

    [Test]
    public async Task One_member_consumes_several_topics_the_callback_chooses_start_offsets_and_pause_holds_a_partition()
    {
        using var cluster = StartCluster(1);
        cluster.CreateTopic("a", 2, 1);
        cluster.CreateTopic("b", 1, 1);
        using (var producer = PeerProducer(cluster))
        {
            for (var i = 0; i < 5; i++)
            {
                foreach (var (topic, partition) in new[] { ("a", 0), ("a", 1), ("b", 0) })
                {
                    await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<byte[], byte[]> { Key = [], Value = [(byte)i] });
                }
            }
        }
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        var calls = new ConcurrentQueue<(IReadOnlyList<TopicAndPartition> Old, IReadOnlyList<TopicAndPartition> New)>();
        var options = BalancedScenario.Options();
        options.PostRebalanceCallback = (old, current, _) =>
        {
            calls.Enqueue((old, current));
            return Task.FromResult<IReadOnlyDictionary<TopicAndPartition, long>?>(
                new Dictionary<TopicAndPartition, long> { [new TopicAndPartition("a", 1)] = 3 });
        };
        await using var consumer = client.Cluster.GetBalancedConsumer(["b", "a"], "multi", options);

        var seen = new List<(string Topic, int Partition, long Offset)>();
        using var timeout = new CancellationTokenSource(Deadline);
        while (seen.Count < 5 + 2 + 5)
        {
            var message = await consumer.ConsumeAsync(timeout.Token);
            seen.Add((message!.Topic, message.PartitionId, message.Offset));
        }
        Assert.That(consumer.Topics, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(consumer.Assignment, Is.EquivalentTo(new[] { new TopicAndPartition("a", 0), new TopicAndPartition("a", 1), new TopicAndPartition("b", 0) }));
        Assert.That(calls.Single().Old, Is.Empty);
        Assert.That(calls.Single().New, Is.EquivalentTo(consumer.Assignment));
        Assert.That(seen.Where(m => m.Topic == "a" && m.Partition == 1).Select(m => m.Offset), Is.EqualTo(new long[] { 3, 4 }), "started where the callback said");
        Assert.That(seen.Count(m => m.Topic == "b"), Is.EqualTo(5));

        // Pause b/0 while one of its messages is in hand: it is held there, and resumes with that message.
        using (var producer = PeerProducer(cluster))
        {
            await producer.ProduceAsync(new TopicPartition("b", 0), new Message<byte[], byte[]> { Key = [], Value = [5] });
            await producer.ProduceAsync(new TopicPartition("b", 0), new Message<byte[], byte[]> { Key = [], Value = [6] });
        }
        var next = await consumer.ConsumeAsync(timeout.Token);
        Assert.That((next!.Topic, next.PartitionId, next.Offset), Is.EqualTo(("b", 0, 5L)));
        consumer.Pause([new TopicAndPartition("b", 0)]);
        Assert.That(consumer.Paused, Is.EqualTo(new[] { new TopicAndPartition("b", 0) }));
        Assert.That(consumer.HeldOffsets[new TopicAndPartition("b", 0)], Is.EqualTo(5));
        consumer.Resume([new TopicAndPartition("b", 0)]);
        var resumed = await consumer.ConsumeAsync(timeout.Token);
        Assert.That((resumed!.Topic, resumed.PartitionId, resumed.Offset), Is.EqualTo(("b", 0, 5L)));

        await consumer.CommitOffsetsAsync(timeout.Token);
        var committed = await consumer.FetchOffsetsAsync(timeout.Token);
        Assert.That(committed[new TopicAndPartition("b", 0)], Is.EqualTo(6));
        Assert.That(committed[new TopicAndPartition("a", 1)], Is.EqualTo(5));
    }

    [Test]
    public async Task GetLag_gives_one_owned_partitions_entry_of_Lag_paused_or_not_and_null_for_a_partition_not_owned()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 2, 1);
        await s.ProduceAsync(2, 10);
        await using var client = NewGroupClient(s.Cluster, new Support.CapturingLoggerFactory());
        await client.UpdateClusterAsync(Timeout());
        await using var consumer = client.Topics[Topic].GetBalancedConsumer(s.GroupId, BalancedScenario.Options());
        var p0 = new TopicAndPartition(Topic, 0);
        var taken = 0;
        using (var deadline = new CancellationTokenSource(Deadline))
        {
            while (taken < 3)
            {
                var batch = await consumer.ConsumeBatchAsync(1, deadline.Token);
                taken += batch.Count(m => m.PartitionId == 0);
            }
        }

        await s.WaitUntilAsync(() => consumer.GetLag(p0) == 7, "partition 0: 7 of 10 left after 3 consumed");
        Assert.Multiple(() =>
        {
            Assert.That(consumer.Lag[p0], Is.EqualTo(7), "the same as Lag's entry");
            Assert.That(consumer.GetLag(new TopicAndPartition(Topic, 5)), Is.Null, "no such partition");
            Assert.That(consumer.GetLag(new TopicAndPartition("other", 0)), Is.Null, "a topic not consumed");
        });
        // A paused partition stays in the fetches as a probe (PausedLagTests), so its lag stays known; it is held at the
        // message in hand, which counts as not consumed.
        consumer.Pause([p0]);
        var held = consumer.HeldOffsets[p0];
        Assert.Multiple(() =>
        {
            Assert.That(consumer.GetLag(p0), Is.EqualTo(10 - held), "paused: still known");
            Assert.That(consumer.Lag[p0], Is.EqualTo(10 - held), "the same as Lag's entry while paused");
        });
    }

    [Test]
    public async Task Stopping_commits_every_handled_message_without_an_explicit_commit()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 4, 3);
        var member = await s.StartMemberAsync("m", commitEvery: 0);
        await s.WaitForSplitAsync([member], 4);
        var sent = await s.ProduceAsync(4, 5);
        await s.WaitUntilConsumedAsync(sent);

        await member.DisposeAsync();

        await using var client = NewClient(s.Cluster);
        var topic = await client.Topics.GetAsync(Topic, Timeout());
        await using var reader = topic.GetSimpleConsumer(new SimpleConsumerOptions { ConsumerGroup = s.GroupId });
        var committed = await reader.FetchOffsetsAsync(Timeout());
        Assert.That(committed, Is.EquivalentTo(Enumerable.Range(0, 4).ToDictionary(p => p, _ => 5L)));
    }

    [Test]
    public async Task A_commit_refused_for_an_old_generation_makes_the_member_rejoin_and_carry_on()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 4, 3);
        var member = await s.StartMemberAsync("m", commitEvery: 0);
        await s.WaitForSplitAsync([member], 4);
        var before = member.Generation;
        await s.ProduceAsync(4, 2);
        await s.WaitUntilAsync(() => member.Records.Count >= 8, "the first messages consumed");

        s.Cluster.PushRequestErrors(8, (short)KafkaErrorCode.IllegalGeneration); // OffsetCommit
        var error = Assert.ThrowsAsync<KafkaOffsetCommitException>(() => member.Consumer.CommitOffsetsAsync());
        Assert.That(error!.FailedPartitions.Values, Has.Some.EqualTo(KafkaErrorCode.IllegalGeneration));

        await s.WaitUntilAsync(() => member.Generation > before && member.Consumer.Assignment.Count == 4, "a new generation with every partition");
        var more = await s.ProduceAsync(4, 2, start: 2);
        await s.WaitUntilConsumedAsync(more);
        await member.Consumer.CommitOffsetsAsync();
        Assert.That((await member.Consumer.FetchOffsetsAsync()).Values, Is.All.EqualTo(4L));
    }

    [Test]
    public void Unmanaged_balancing_needs_ZooKeeper_and_one_topic_and_options_are_checked()
    {
        using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic(Topic, 1, 1);
        using var client = NewClient(cluster);
        client.UpdateClusterAsync().GetAwaiter().GetResult();
        var topic = client.Topics[Topic];
        var noZooKeeper = Assert.Throws<ArgumentException>(() => topic.GetBalancedConsumer("g", new BalancedConsumerOptions { Managed = false }));
        Assert.That(noZooKeeper!.Message, Does.Contain("BalancedConsumerOptions.ZooKeeperHosts").And.Contain("KafkaClientOptions.ZooKeeperHosts"));
        var twoTopics = Assert.Throws<ArgumentException>(() => client.Cluster.GetBalancedConsumer([Topic, "other"], "g",
            new BalancedConsumerOptions { Managed = false, ZooKeeperHosts = "127.0.0.1:1" }));
        Assert.That(twoTopics!.Message, Does.Contain("one topic"));
        var unmanaged = Assert.Throws<ArgumentException>(() => topic.GetBalancedConsumer("g", new BalancedConsumerOptions
        {
            Managed = false,
            ZooKeeperHosts = "127.0.0.1:notaport",
            ZooKeeperSessionTimeout = TimeSpan.Zero,
            GroupInstanceId = "i1",
            MembershipProtocol = new NamedAssignor("sticky"),
        }));
        Assert.That(unmanaged!.Message, Does.Contain("ZooKeeperHosts:").And.Contain("ZooKeeperSessionTimeout")
            .And.Contain("GroupInstanceId must be null when Managed is false").And.Contain("'sticky'"));
        var invalid = Assert.Throws<ArgumentException>(() => topic.GetBalancedConsumer("g", new BalancedConsumerOptions
        {
            HeartbeatInterval = TimeSpan.FromSeconds(10),
            SessionTimeout = TimeSpan.FromSeconds(6),
            QueuedMaxMessages = 0,
        }));
        Assert.That(invalid!.Message, Does.Contain("HeartbeatInterval").And.Contain("QueuedMaxMessages"));
        Assert.Throws<ArgumentException>(() => topic.GetBalancedConsumer("g", new BalancedConsumerOptions { ConsumerGroup = "other" }));
    }
}

/// <summary>An assignor that only has a name (for option checks).</summary>
internal sealed class NamedAssignor(string name) : IPartitionAssignor
{
    public string Name => name;

    public IReadOnlyDictionary<string, IReadOnlyList<TopicAndPartition>> Assign(
        IReadOnlyList<GroupMemberSubscription> members, IReadOnlyDictionary<string, int> partitionsPerTopic) =>
        members.ToDictionary(m => m.MemberId, _ => (IReadOnlyList<TopicAndPartition>)[]);
}

/// <summary>A consumed message, as a member recorded it, with the generation it was consumed in.</summary>
internal sealed record ConsumedRecord(string Member, int Generation, int Partition, long Offset);

/// <summary>A consumer under test: a balanced consumer whose loop records every message and commits as asked.</summary>
internal sealed class TestBalancedMember : IAsyncDisposable
{
    private readonly KafkaClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _disposed;

    public TestBalancedMember(string name, KafkaClient client, BalancedConsumer consumer, ConcurrentQueue<ConsumedRecord> all, int commitEvery)
    {
        Name = name;
        _client = client;
        Consumer = consumer;
        _loop = Task.Run(async () =>
        {
            var count = 0;
            // Only a consume call ends the loop (cancelled by the stop): each call marks the message before it as
            // handled, so the member's last recorded message counts as handled when it stops, as it would in an app
            // that handles a message before asking for the next one.
            while (true)
            {
                try
                {
                    var before = Generation;
                    ConsumedMessage? message;
                    try
                    {
                        message = await Consumer.ConsumeAsync(_stop.Token);
                    }
                    catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                    {
                        return;
                    }
                    if (message is null)
                    {
                        continue;
                    }
                    var record = new ConsumedRecord(Name, before == Generation ? before : -1, message.PartitionId, message.Offset);
                    Records.Enqueue(record);
                    all.Enqueue(record);
                    if (commitEvery > 0 && ++count % commitEvery == 0)
                    {
                        // Every owned partition's position, so that at most commitEvery handled messages of this
                        // member are uncommitted at any time.
                        await Consumer.CommitOffsetsAsync(_stop.Token);
                    }
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    // A commit cut short by the stop: the next consume call ends the loop.
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (KafkaException ex)
                {
                    Errors.Enqueue(ex);
                }
            }
        });
    }

    public string Name { get; }

    public BalancedConsumer Consumer { get; }

    /// <summary>The Kafka generation (0 for a member balanced through ZooKeeper, which has none).</summary>
    public int Generation => Consumer is ManagedBalancedConsumer managed ? managed.Generation : 0;

    public ConcurrentQueue<ConsumedRecord> Records { get; } = new();

    public ConcurrentQueue<KafkaException> Errors { get; } = new();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync();
        await _loop;
        await Consumer.DisposeAsync();
        await _client.DisposeAsync();
        _stop.Dispose();
    }

    public override string ToString() => $"{Name} (generation {Generation}, [{string.Join(", ", Consumer.Assignment)}])";
}

/// <summary>A mock cluster, a group, its members and everything they consumed.</summary>
internal sealed class BalancedScenario : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(40);
    private readonly List<TestBalancedMember> _members = [];
    private readonly Support.CapturingLoggerFactory _logs = new();

    public MockKafkaCluster Cluster { get; } = StartCluster();

    public string GroupId { get; } = "group-" + Guid.NewGuid().ToString("N")[..8];

    public ConcurrentQueue<ConsumedRecord> Consumed { get; } = new();

    public static BalancedConsumerOptions Options() => new()
    {
        SessionTimeout = SessionTimeout,
        HeartbeatInterval = TimeSpan.FromMilliseconds(300),
        RebalanceTimeout = TimeSpan.FromSeconds(10),
        RebalanceBackoff = TimeSpan.FromMilliseconds(200),
        // See GroupTestSupport.Options: the mock can refuse a late follower's SyncGroup several times in a row.
        RebalanceMaxRetries = 20,
        OffsetsChannelBackoff = TimeSpan.FromMilliseconds(100),
        FetchWaitMax = TimeSpan.FromMilliseconds(50),
    };

    public async Task<TestBalancedMember> StartMemberAsync(string name, int commitEvery = 1, BalancedConsumerOptions? options = null)
    {
        var client = NewGroupClient(Cluster, _logs);
        await client.UpdateClusterAsync(Timeout());
        var consumer = client.Topics[BalancedTopic].GetBalancedConsumer(GroupId, options ?? Options());
        var member = new TestBalancedMember(name, client, consumer, Consumed, commitEvery);
        _members.Add(member);
        return member;
    }

    private const string BalancedTopic = "orders";

    public async Task<List<(int Partition, long Offset)>> ProduceAsync(int partitions, int perPartition, int start = 0)
    {
        using var producer = PeerProducer(Cluster);
        var pending = new List<Task<DeliveryResult<byte[], byte[]>>>();
        for (var i = start; i < start + perPartition; i++)
        {
            for (var p = 0; p < partitions; p++)
            {
                pending.Add(producer.ProduceAsync(new TopicPartition(BalancedTopic, p),
                    new Message<byte[], byte[]> { Key = Encoding.UTF8.GetBytes($"k{p}"), Value = Encoding.UTF8.GetBytes($"v{p}-{i}") }));
            }
        }
        var results = await Task.WhenAll(pending);
        return [.. results.Select(r => (r.Partition.Value, r.Offset.Value))];
    }

    public Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    private async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        try
        {
            await Eventually.WaitUntilAsync(condition, what, Deadline);
        }
        catch
        {
            DumpLogs(_logs);
            TestContext.Out.WriteLine(string.Join(Environment.NewLine, _members));
            throw;
        }
    }

    public Task WaitForSplitAsync(IReadOnlyList<TestBalancedMember> members, int partitions) => WaitUntilAsync(() =>
    {
        var generations = members.Select(m => m.Generation).Distinct().ToList();
        var owned = members.SelectMany(m => m.Consumer.Assignment).ToList();
        return generations.Count == 1 && generations[0] >= 0 && owned.Count == partitions && owned.Distinct().Count() == partitions
            && members.All(m => m.Consumer.Assignment.Count > 0);
    }, $"{members.Count} members split {partitions} partitions in one generation");

    /// <summary>
    /// Waits until <paramref name="ours"/> and a Confluent.Kafka member hold six of the topic's twelve partitions each,
    /// produces ten messages to every partition, and checks that each was consumed by one of the two and that no
    /// partition was consumed by both.
    /// </summary>
    public async Task AssertSplitWithPeerAsync(TestBalancedMember ours, PeerGroupConsumer peerMember)
    {
        var peer = peerMember.Consumer;
        var peerSeen = peerMember.Seen;
        await WaitUntilAsync(() => ours.Consumer.Assignment.Count == 6 && peer.Assignment.Count == 6, "both members hold six partitions");
        var sent = await ProduceAsync(12, 10);
        await WaitUntilAsync(() =>
                sent.All(m => ours.Records.Any(r => r.Partition == m.Partition && r.Offset == m.Offset) || peerSeen.Contains((m.Partition, m.Offset))),
            "every message consumed by one of the two");

        var peerPartitions = peer.Assignment.Select(p => p.Partition.Value).ToHashSet();
        Assert.That(ours.Consumer.Assignment.Select(p => p.Partition).Intersect(peerPartitions), Is.Empty);
        Assert.That(ours.Records.Select(r => r.Partition).Distinct().Intersect(peerSeen.Select(p => p.Partition)), Is.Empty,
            "no partition consumed by both");
    }

    public Task WaitUntilConsumedAsync(IReadOnlyCollection<(int Partition, long Offset)> sent) => WaitUntilAsync(() =>
    {
        var seen = Consumed.Select(r => (r.Partition, r.Offset)).ToHashSet();
        return sent.All(seen.Contains);
    }, $"all {sent.Count} messages consumed");

    /// <summary>
    /// The messages <paramref name="member"/> consumed that another member consumed again later, as "partition@offset
    /// by whom": what the member had handled but not committed when it gave its partitions up.
    /// </summary>
    public List<string> ConsumedAgainAfter(string member)
    {
        var records = Consumed.ToList(); // in the order they were consumed
        var again = new List<string>();
        for (var i = 0; i < records.Count; i++)
        {
            if (records[i].Member != member)
            {
                continue;
            }
            var later = records.Skip(i + 1).FirstOrDefault(r => r.Member != member && r.Partition == records[i].Partition && r.Offset == records[i].Offset);
            if (later is not null)
            {
                again.Add($"{later.Partition}@{later.Offset} by {later.Member}");
            }
        }
        return again;
    }

    public int Duplicates() => Consumed.Count - Consumed.Select(r => (r.Partition, r.Offset)).Distinct().Count();

    public void AssertNoPartitionConsumedTwiceInAGeneration()
    {
        var shared = Consumed.Where(r => r.Generation >= 0)
            .GroupBy(r => (r.Generation, r.Partition))
            .Where(g => g.Select(r => r.Member).Distinct().Count() > 1)
            .Select(g => $"partition {g.Key.Partition} in generation {g.Key.Generation}: {string.Join(", ", g.Select(r => r.Member).Distinct())}")
            .ToList();
        Assert.That(shared, Is.Empty);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            await member.DisposeAsync();
        }
        Cluster.Dispose();
        _logs.Dispose();
    }
}
