using System.Collections.Concurrent;
using Confluent.Kafka;
using Kafka.Testing;
using static Kafka.Client.Tests.Groups.GroupTestSupport;

namespace Kafka.Client.Tests.Balanced;

/// <summary>
/// Balanced consumers on the consumer group protocol (KIP-848) against librdkafka's mock coordinator, which assigns
/// (a range assignment of its own, or one a test sets) and moves partitions incrementally as Kafka 4 does.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ConsumerGroupProtocolTests
{
    private const string Topic = "orders";

    internal static BalancedConsumerOptions Options()
    {
        var options = BalancedScenario.Options();
        options.GroupProtocol = GroupProtocol.Consumer;
        return options;
    }

    private static BalancedScenario Scenario()
    {
        var s = new BalancedScenario();
        // Members hear of partitions another member released at their next heartbeat.
        s.Cluster.SetConsumerGroupHeartbeatInterval(TimeSpan.FromMilliseconds(200));
        s.Cluster.SetConsumerGroupSessionTimeout(TimeSpan.FromSeconds(3));
        return s;
    }

    [Test]
    public async Task Three_members_split_the_partitions_and_consume_every_message_once()
    {
        await using var s = Scenario();
        s.Cluster.CreateTopic(Topic, 12, 3);
        var members = new[]
        {
            await s.StartMemberAsync("m1", options: Options()),
            await s.StartMemberAsync("m2", options: Options()),
            await s.StartMemberAsync("m3", options: Options()),
        };
        await WaitForSplitAsync(s, members, 12);
        var sent = await s.ProduceAsync(12, 20);

        await s.WaitUntilConsumedAsync(sent);

        Assert.That(members.SelectMany(m => m.Consumer.Assignment), Is.EquivalentTo(AllPartitions(Topic, 12)));
        Assert.That(s.Duplicates(), Is.Zero, "no rebalance after the split: every message consumed once");
        Assert.That(members.SelectMany(m => m.Errors), Is.Empty);
    }

    [Test]
    public async Task A_member_gives_up_only_the_partitions_that_move_and_keeps_consuming_the_others_meanwhile()
    {
        await using var s = Scenario();
        s.Cluster.CreateTopic(Topic, 4, 3);
        var revoked = new ConcurrentQueue<TopicAndPartition[]>();
        var assigned = new ConcurrentQueue<TopicAndPartition[]>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = Options();
        options.PartitionsAssigned = (partitions, _) =>
        {
            assigned.Enqueue([.. partitions]);
            return Task.CompletedTask;
        };
        options.PartitionsRevoked = async (partitions, _) =>
        {
            revoked.Enqueue([.. partitions]);
            await release.Task; // the revocation is held: the partitions that stay must go on being consumed
        };
        var first = await s.StartMemberAsync("first", options: options);
        await s.WaitUntilAsync(() => first.Consumer.Assignment.Count == 4, "the first member owns all four partitions");
        var before = await s.ProduceAsync(4, 5);
        await s.WaitUntilConsumedAsync(before);

        var second = await s.StartMemberAsync("second", options: Options());
        await s.WaitUntilAsync(() => !revoked.IsEmpty, "the first member is asked to give partitions up");
        var during = await s.ProduceAsync(4, 5, start: 5);
        var moving = revoked.Single().ToHashSet();
        var staying = AllPartitions(Topic, 4).Where(p => !moving.Contains(p)).Select(p => p.Partition).ToHashSet();
        await s.WaitUntilAsync(
            () => during.Where(m => staying.Contains(m.Partition)).All(m => first.Records.Any(r => r.Partition == m.Partition && r.Offset == m.Offset)),
            "the partitions that stay are consumed while the revocation is held");
        Assert.That(second.Consumer.Assignment, Is.Empty, "a partition is handed on only once it was given up");
        release.SetResult();

        await WaitForSplitAsync(s, [first, second], 4);
        await s.WaitUntilConsumedAsync([.. before, .. during]);
        Assert.That(moving, Has.Count.EqualTo(2));
        Assert.That(second.Consumer.Assignment, Is.EquivalentTo(moving));
        Assert.That(assigned.Select(a => a.Length), Is.EqualTo(new[] { 4 }), "the first member was assigned once, and nothing was taken back and given again");
        Assert.That(s.ConsumedAgainAfter("first"), Is.Empty, "the moved partitions were committed with the member's epoch before they moved");
        Assert.That(first.Errors.Concat(second.Errors), Is.Empty);
    }

    [Test]
    public async Task A_target_assignment_set_on_the_coordinator_moves_one_partition_and_commits_carry_the_new_epochs()
    {
        await using var s = Scenario();
        s.Cluster.CreateTopic(Topic, 4, 3);
        var a = await s.StartMemberAsync("a", options: Options());
        var b = await s.StartMemberAsync("b", options: Options());
        await WaitForSplitAsync(s, [a, b], 4);
        var epochs = (A: Epoch(a), B: Epoch(b));
        var moved = a.Consumer.Assignment[0];

        s.Cluster.SetConsumerGroupTargetAssignment(s.GroupId, new Dictionary<string, IReadOnlyList<(string Topic, int Partition)>>
        {
            [a.Consumer.MemberId] = [.. a.Consumer.Assignment.Skip(1).Select(p => (p.Topic, p.Partition))],
            [b.Consumer.MemberId] = [.. b.Consumer.Assignment.Append(moved).Select(p => (p.Topic, p.Partition))],
        });

        await s.WaitUntilAsync(() => b.Consumer.Assignment.Contains(moved) && a.Consumer.Assignment.Count == 1, "the partition moved");
        Assert.That(Epoch(a), Is.GreaterThan(epochs.A));
        Assert.That(Epoch(b), Is.GreaterThan(epochs.B));
        var sent = await s.ProduceAsync(4, 10);
        await s.WaitUntilConsumedAsync(sent);
        // Members commit after every message: the mock refuses a commit whose epoch is not the member's (STALE_MEMBER_EPOCH).
        Assert.That(a.Errors.Concat(b.Errors), Is.Empty);
        Assert.That(s.Duplicates(), Is.Zero);
    }

    [Test]
    public async Task A_fenced_member_counts_its_partitions_lost_rejoins_and_consumes_on()
    {
        await using var s = Scenario();
        s.Cluster.CreateTopic(Topic, 4, 3);
        var lost = new ConcurrentQueue<TopicAndPartition[]>();
        var options = Options();
        options.PartitionsLost = (partitions, _) =>
        {
            lost.Enqueue([.. partitions]);
            return Task.CompletedTask;
        };
        var member = await s.StartMemberAsync("member", options: options);
        await s.WaitUntilAsync(() => member.Consumer.Assignment.Count == 4, "the member owns all four partitions");
        var first = await s.ProduceAsync(4, 5);
        await s.WaitUntilConsumedAsync(first);

        s.Cluster.PushRequestErrors(ConsumerGroupHeartbeat, FencedMemberEpoch);

        await s.WaitUntilAsync(() => lost.Count == 1, "the fenced member's partitions are lost");
        Assert.That(lost.Single(), Is.EquivalentTo(AllPartitions(Topic, 4)));
        await s.WaitUntilAsync(() => member.Consumer.Assignment.Count == 4, "the member joined again and owns its partitions");
        var second = await s.ProduceAsync(4, 5, start: 5);
        await s.WaitUntilConsumedAsync([.. first, .. second]);
    }

    [Test]
    public async Task When_a_member_leaves_the_other_takes_its_partitions_from_the_last_commit()
    {
        await using var s = Scenario();
        s.Cluster.CreateTopic(Topic, 12, 3);
        var a = await s.StartMemberAsync("a", commitEvery: 5, options: Options());
        var b = await s.StartMemberAsync("b", commitEvery: 5, options: Options());
        await WaitForSplitAsync(s, [a, b], 12);
        var first = await s.ProduceAsync(12, 15);
        await s.WaitUntilAsync(() => b.Records.Count >= 30, "b consumed some messages");

        await b.DisposeAsync();
        var second = await s.ProduceAsync(12, 15, start: 15);
        await s.WaitUntilAsync(() => a.Consumer.Assignment.Count == 12, "a took every partition");
        var b2 = await s.StartMemberAsync("b2", commitEvery: 5, options: Options());
        await WaitForSplitAsync(s, [a, b2], 12);

        await s.WaitUntilConsumedAsync([.. first, .. second]);
        Assert.That(s.ConsumedAgainAfter("b"), Is.Empty, "b committed what it had handled as it left");
        Assert.That(s.ConsumedAgainAfter("a"), Is.Empty, "a committed the partitions it gave up to b2");
    }

    [Test]
    public async Task A_confluent_consumer_on_the_consumer_protocol_and_ours_share_one_group()
    {
        await using var s = Scenario();
        s.Cluster.CreateTopic(Topic, 12, 3);
        var ours = await s.StartMemberAsync("ours", options: Options());
        await using var peerMember = new PeerGroupConsumer(new ConsumerConfig
        {
            BootstrapServers = s.Cluster.BootstrapServers,
            GroupId = s.GroupId,
            GroupProtocol = Confluent.Kafka.GroupProtocol.Consumer,
        }, Topic);
        await s.AssertSplitWithPeerAsync(ours, peerMember);
        Assert.That(ours.Errors, Is.Empty);
    }

    [Test]
    public async Task A_regular_expression_subscription_is_resolved_by_the_coordinator()
    {
        await using var s = Scenario();
        s.Cluster.CreateTopic("metrics-eu", 2, 3);
        s.Cluster.CreateTopic("metrics-us", 2, 3);
        s.Cluster.CreateTopic(Topic, 2, 3);
        await using var client = NewGroupClient(s.Cluster, new Support.CapturingLoggerFactory());
        await client.UpdateClusterAsync(Support.TestSupport.Timeout());
        var options = Options();
        options.TopicRegex = "^metrics-.*";
        await using var consumer = client.Cluster.GetBalancedConsumer([], s.GroupId, options);

        await s.WaitUntilAsync(() => consumer.Assignment.Count == 4, "the member owns the matching topics' partitions");
        Assert.That(consumer.Assignment, Is.EquivalentTo(AllPartitions("metrics-eu", 2).Concat(AllPartitions("metrics-us", 2))));
    }

    [Test]
    public async Task A_static_member_that_restarts_gets_its_partitions_back_and_the_other_member_keeps_its_own()
    {
        await using var s = Scenario();
        s.Cluster.CreateTopic(Topic, 4, 3);
        var options = Options();
        options.GroupInstanceId = "worker-1";
        var first = await s.StartMemberAsync("static", options: options);
        var other = await s.StartMemberAsync("other", options: Options());
        await WaitForSplitAsync(s, [first, other], 4);
        var mine = first.Consumer.Assignment.ToList();
        var others = other.Consumer.Assignment.ToList();

        s.Cluster.StartRequestTracking();
        await first.DisposeAsync();
        var again = await s.StartMemberAsync("static-again", options: options);

        await s.WaitUntilAsync(() => again.Consumer.Assignment.Count == mine.Count, "the restarted static member owns partitions again");
        Assert.That(again.Consumer.Assignment, Is.EquivalentTo(mine), "the same partitions as before the restart");
        Assert.That(other.Consumer.Assignment, Is.EquivalentTo(others), "the other member's partitions did not move");
        Assert.That(s.Cluster.GetRequests().Count(r => r.ApiKey == ConsumerGroupHeartbeat), Is.Positive);
    }

    [Test]
    public async Task A_member_whose_coordinator_goes_down_finds_it_again_and_consumes_every_message()
    {
        await using var s = Scenario();
        s.Cluster.CreateTopic(Topic, 4, 3);
        s.Cluster.SetCoordinator("group", s.GroupId, 1);
        for (var p = 0; p < 4; p++)
        {
            s.Cluster.SetPartitionLeader(Topic, p, 2); // the coordinator's broker leads nothing: fetching goes on
        }
        var member = await s.StartMemberAsync("member", options: Options());
        await s.WaitUntilAsync(() => member.Consumer.Assignment.Count == 4, "the member owns all four partitions");
        var first = await s.ProduceAsync(4, 5);
        await s.WaitUntilConsumedAsync(first);

        s.Cluster.StartRequestTracking();
        s.Cluster.SetCoordinator("group", s.GroupId, 3);
        s.Cluster.SetBrokerDown(1);
        var second = await s.ProduceAsync(4, 5, start: 5);
        await s.WaitUntilConsumedAsync([.. first, .. second]);
        await s.WaitUntilAsync(() => s.Cluster.GetRequests().Count(r => r.ApiKey == ConsumerGroupHeartbeat && r.BrokerId == 3) >= 2,
            "the member heartbeats to the new coordinator");
        s.Cluster.SetBrokerUp(1);

        Assert.That(member.Consumer.Assignment, Has.Count.EqualTo(4), "the member kept its partitions through the move");
        var third = await s.ProduceAsync(4, 5, start: 10);
        await s.WaitUntilConsumedAsync([.. first, .. second, .. third]);
    }

    [Test]
    public async Task A_broker_without_ConsumerGroupHeartbeat_fails_the_member_naming_the_api()
    {
        await using var s = Scenario();
        s.Cluster.CreateTopic(Topic, 2, 3);
        s.Cluster.SetApiVersion(ConsumerGroupHeartbeat, -1, -1);
        var error = await ConsumeFailureAsync(s, Options());
        Assert.That(error.ToString(), Does.Contain("ConsumerGroupHeartbeat"));
    }

    [Test]
    public async Task An_unsupported_server_assignor_fails_the_member_with_the_brokers_error()
    {
        await using var s = Scenario();
        s.Cluster.CreateTopic(Topic, 2, 3);
        s.Cluster.PushRequestErrors(ConsumerGroupHeartbeat, UnsupportedAssignor);
        var options = Options();
        options.ServerAssignor = "sticky";
        var error = await ConsumeFailureAsync(s, options);
        Assert.That(error.ToString(), Does.Contain("UNSUPPORTED_ASSIGNOR"));
    }

    /// <summary>What a consume call of a member that cannot take part throws (a deadline ends the wait if none comes).</summary>
    private static async Task<KafkaException> ConsumeFailureAsync(BalancedScenario s, BalancedConsumerOptions options)
    {
        await using var client = NewGroupClient(s.Cluster, new Support.CapturingLoggerFactory());
        await client.UpdateClusterAsync(Support.TestSupport.Timeout());
        await using var consumer = client.Topics[Topic].GetBalancedConsumer(s.GroupId, options);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        try
        {
            await consumer.ConsumeAsync(deadline.Token);
        }
        catch (KafkaException ex)
        {
            return ex;
        }
        Assert.Fail("the consume call returned a message");
        throw new InvalidOperationException();
    }

    [Test]
    public void Options_for_the_consumer_protocol_are_checked_together()
    {
        var errors = new BalancedConsumerOptions { ServerAssignor = "uniform", TopicRegex = "x.*" }.Validate();
        Assert.That(errors, Has.Some.Contains("ServerAssignor is for GroupProtocol Consumer"));
        Assert.That(errors, Has.Some.Contains("TopicRegex needs GroupProtocol Consumer"));
        errors = new BalancedConsumerOptions { GroupProtocol = GroupProtocol.Consumer, Managed = false, ServerAssignor = "", TopicRegex = "" }.Validate();
        Assert.That(errors, Has.Some.Contains("GroupProtocol Consumer needs Managed"));
        Assert.That(errors, Has.Some.Contains("ServerAssignor must be null"));
        Assert.That(errors, Has.Some.Contains("TopicRegex must be null"));
        Assert.That(new BalancedConsumerOptions { GroupProtocol = (GroupProtocol)7 }.Validate(), Has.Some.Contains("GroupProtocol must be Classic or Consumer"));
        Assert.That(new BalancedConsumerOptions { GroupProtocol = GroupProtocol.Consumer, ServerAssignor = "range", TopicRegex = "^a" }.Validate(), Is.Empty);
        Assert.That(new BalancedConsumerOptions().GroupProtocol, Is.EqualTo(GroupProtocol.Classic), "Classic by default: brokers before 4.0 have no other");
    }

    private const short ConsumerGroupHeartbeat = 68;
    private const short FencedMemberEpoch = 110;
    private const short UnsupportedAssignor = 112;

    private static int Epoch(TestBalancedMember member) => member.Generation;

    /// <summary>All members own something, together every partition, each partition once, and no member waits for more.</summary>
    internal static Task WaitForSplitAsync(BalancedScenario s, IReadOnlyList<TestBalancedMember> members, int partitions) => s.WaitUntilAsync(() =>
    {
        var owned = members.SelectMany(m => m.Consumer.Assignment).ToList();
        return owned.Count == partitions && owned.Distinct().Count() == partitions && members.All(m => m.Consumer.Assignment.Count > 0);
    }, $"{members.Count} members split {partitions} partitions");
}
