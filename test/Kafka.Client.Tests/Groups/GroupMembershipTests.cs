using System.Collections.Concurrent;
using System.Diagnostics;
using Kafka.Client.Internal.Groups;
using Kafka.Testing;
using static Kafka.Client.Tests.Groups.GroupTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Groups;

/// <summary>Group membership against librdkafka's mock brokers over TCP.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class GroupMembershipTests
{
    private static readonly TimeSpan RebalanceDeadline = TimeSpan.FromSeconds(30);

    [Test]
    public Task Three_members_share_twelve_partitions() => Scenario.RunAsync(async s =>
    {
        s.Cluster.CreateTopic("orders", 12, 3);
        var members = new[] { s.AddMember("m1"), s.AddMember("m2"), s.AddMember("m3") };
        foreach (var member in members)
        {
            await member.StartAsync();
        }

        await WaitForSplitAsync(members, "orders", 12);

        // Range over one topic: each member a contiguous third, in member id order.
        var byMemberId = members.OrderBy(m => m.Membership.MemberId, StringComparer.Ordinal).ToArray();
        for (var i = 0; i < 3; i++)
        {
            Assert.That(byMemberId[i].Membership.Assignment, Is.EqualTo(AllPartitions("orders", 12)[(4 * i)..(4 * i + 4)]));
        }
        Assert.That(members.Count(m => m.Membership.Current!.IsLeader), Is.EqualTo(1));
        AssertNoPartitionOwnedTwice(s.Events);
    });

    [Test]
    public Task A_member_that_leaves_revokes_first_and_the_others_take_over() => Scenario.RunAsync(async s =>
    {
        s.Cluster.CreateTopic("orders", 12, 3);
        var members = new[] { s.AddMember("m1"), s.AddMember("m2"), s.AddMember("m3") };
        foreach (var member in members)
        {
            await member.StartAsync();
        }
        await WaitForSplitAsync(members, "orders", 12);
        var before = members[0].Membership.Generation;
        var leaving = members[1];
        var owned = leaving.Membership.Assignment;
        s.Cluster.StartRequestTracking();

        var watch = Stopwatch.StartNew();
        await leaving.Membership.StopAsync();
        var stopTime = watch.Elapsed;
        await leaving.Membership.StopAsync(); // a second stop is the same stop

        Assert.That(stopTime, Is.LessThan(TimeSpan.FromSeconds(2)), "stopping is prompt");
        Assert.That(leaving.Membership.State, Is.EqualTo(GroupMembershipState.Stopped));
        Assert.That(leaving.Revocations.Single().Generation.Assignment, Is.EqualTo(owned));
        Assert.That(leaving.Revocations.Single().Lost, Is.False);
        Assert.That(s.Cluster.GetRequests().Count(r => r.ApiKey == 13), Is.EqualTo(1), "one LeaveGroup");

        var remaining = new[] { members[0], members[2] };
        await WaitForSplitAsync(remaining, "orders", 12, after: before);
        AssertNoPartitionOwnedTwice(s.Events);
    });

    [Test]
    public Task A_member_that_joins_rebalances_the_group_into_a_new_generation() => Scenario.RunAsync(async s =>
    {
        s.Cluster.CreateTopic("orders", 12, 3);
        var first = new[] { s.AddMember("m1"), s.AddMember("m2") };
        foreach (var member in first)
        {
            await member.StartAsync();
        }
        await WaitForSplitAsync(first, "orders", 12);
        var before = first[0].Membership.Generation;
        Assert.That(first.Select(m => m.Membership.Assignment.Count), Is.All.EqualTo(6));

        var joining = s.AddMember("m3");
        await joining.StartAsync();
        var generation = await joining.Membership.WaitForGenerationAsync(before, Timeout(RebalanceDeadline));

        Assert.That(generation.GenerationId, Is.GreaterThan(before));
        await WaitForSplitAsync([.. first, joining], "orders", 12, after: before);
        foreach (var member in first)
        {
            Assert.That(member.Revocations.Select(r => r.Generation.GenerationId), Does.Contain(before), $"{member.Name} gave up generation {before}");
        }
        AssertNoPartitionOwnedTwice(s.Events);
    });

    [Test]
    public Task A_member_that_stops_heartbeating_is_evicted_after_the_session_timeout() => Scenario.RunAsync(async s =>
    {
        s.Cluster.CreateTopic("orders", 12, 3);
        await using var clock = new FreezableClock();
        var healthy = new[] { s.AddMember("m1"), s.AddMember("m2") };
        var stuck = s.AddMember("stuck", time: clock.Time);
        foreach (var member in healthy.Append(stuck))
        {
            await member.StartAsync();
        }
        await WaitForSplitAsync([.. healthy, stuck], "orders", 12);
        var before = healthy[0].Membership.Generation;

        clock.Freeze(); // its heartbeat timer never fires again
        var watch = Stopwatch.StartNew();
        await WaitForSplitAsync(healthy, "orders", 12, after: before);

        TestContext.Out.WriteLine($"taken over after {watch.Elapsed}");
        Assert.That(watch.Elapsed, Is.GreaterThan(SessionTimeout - TimeSpan.FromSeconds(1)), "not before the session timed out");
        Assert.That(stuck.Membership.Generation, Is.EqualTo(before), "the stuck member never learned");
    });

    [TestCase((short)27, false, false, TestName = "A heartbeat answered REBALANCE_IN_PROGRESS rejoins keeping the member id")]
    [TestCase((short)22, true, false, TestName = "A heartbeat answered ILLEGAL_GENERATION loses the partitions and rejoins")]
    [TestCase((short)25, true, true, TestName = "A heartbeat answered UNKNOWN_MEMBER_ID loses the partitions and rejoins as a new member")]
    public Task Heartbeat_errors_make_the_member_rejoin(short error, bool lost, bool newMemberId) => Scenario.RunAsync(async s =>
    {
        s.Cluster.CreateTopic("orders", 4, 3);
        var member = s.AddMember("m1");
        await member.StartAsync();
        var first = await member.Membership.WaitForGenerationAsync(-1, Timeout(RebalanceDeadline));
        Assert.That(first.Assignment, Is.EqualTo(AllPartitions("orders", 4)));

        s.Cluster.PushRequestErrors(12, error);
        await WaitUntilAsync(() => Task.FromResult(
                member.Membership.Current is { } current && current.GenerationId > first.GenerationId && current.Assignment.Count == 4),
            "the member back in a newer generation with every partition", RebalanceDeadline);

        var (revoked, wasLost) = member.Revocations.First();
        Assert.That(revoked.GenerationId, Is.EqualTo(first.GenerationId));
        Assert.That(wasLost, Is.EqualTo(lost));
        Assert.That(member.Membership.MemberId, newMemberId ? Is.Not.EqualTo(first.MemberId) : Is.EqualTo(first.MemberId));
    });

    [Test]
    public Task A_join_answered_MEMBER_ID_REQUIRED_is_sent_again() => Scenario.RunAsync(async s =>
    {
        s.Cluster.CreateTopic("orders", 4, 3);
        s.Cluster.StartRequestTracking();
        s.Cluster.PushRequestErrors(11, 79);
        var member = s.AddMember("m1");
        await member.StartAsync();

        var generation = await member.Membership.WaitForGenerationAsync(-1, Timeout(RebalanceDeadline));

        Assert.That(generation.Assignment, Is.EqualTo(AllPartitions("orders", 4)));
        Assert.That(s.Cluster.GetRequests().Count(r => r.ApiKey == 11), Is.EqualTo(2));
    });

    [Test]
    public Task A_moved_coordinator_is_found_again_without_a_rebalance_and_later_joins_go_there() => Scenario.RunAsync(async s =>
    {
        s.Cluster.CreateTopic("orders", 12, 3);
        s.Cluster.SetCoordinator("group", Scenario.GroupId, 1);
        var members = new[] { s.AddMember("m1"), s.AddMember("m2") };
        foreach (var member in members)
        {
            await member.StartAsync();
        }
        await WaitForSplitAsync(members, "orders", 12);
        var generation = members[0].Membership.Generation;
        Assert.That(members.Select(m => m.Membership.Coordinator!.Id), Is.All.EqualTo(1));

        s.Cluster.SetCoordinator("group", Scenario.GroupId, 2);
        s.Cluster.StartRequestTracking();
        await WaitUntilAsync(() => Task.FromResult(members.All(m => m.Membership.Coordinator?.Id == 2)),
            "both members on the new coordinator", RebalanceDeadline);
        await WaitUntilAsync(() => Task.FromResult(s.Cluster.GetRequests().Count(r => r.ApiKey == 12 && r.BrokerId == 2) >= 4),
            "heartbeats at the new coordinator", RebalanceDeadline);
        Assert.That(members.Select(m => m.Membership.Generation), Is.All.EqualTo(generation), "the group kept its generation");
        Assert.That(members.Select(m => m.State), Is.All.EqualTo(GroupMembershipState.Stable));

        var third = s.AddMember("m3");
        await third.StartAsync();
        await WaitForSplitAsync([.. members, third], "orders", 12, after: generation);
        Assert.That(s.Cluster.GetRequests().Where(r => r.ApiKey is 11 or 14).Select(r => r.BrokerId), Is.All.EqualTo(2));
        AssertNoPartitionOwnedTwice(s.Events);
    });

    [Test]
    public Task A_coordinator_that_goes_down_is_replaced() => Scenario.RunAsync(async s =>
    {
        s.Cluster.CreateTopic("orders", 12, 3);
        s.Cluster.SetCoordinator("group", Scenario.GroupId, 3);
        var members = new[] { s.AddMember("m1"), s.AddMember("m2") };
        foreach (var member in members)
        {
            await member.StartAsync();
        }
        await WaitForSplitAsync(members, "orders", 12);
        var generation = members[0].Membership.Generation;

        s.Cluster.SetCoordinator("group", Scenario.GroupId, 1);
        s.Cluster.SetBrokerDown(3);
        await WaitUntilAsync(() => Task.FromResult(members.All(m => m.Membership.Coordinator?.Id == 1)),
            "both members on the replacement coordinator", RebalanceDeadline);

        // Still one generation, every partition owned once; a new member now joins at the replacement.
        var third = s.AddMember("m3");
        await third.StartAsync();
        await WaitForSplitAsync([.. members, third], "orders", 12, after: generation);
        s.Cluster.SetBrokerUp(3);
    });

    [Test]
    public Task A_join_in_flight_is_abandoned_and_the_member_leaves_promptly() => Scenario.RunAsync(async s =>
    {
        s.Cluster.CreateTopic("orders", 4, 3);
        var first = s.AddMember("m1");
        await first.StartAsync();
        var generation = await first.Membership.WaitForGenerationAsync(-1, Timeout(RebalanceDeadline));

        // A second member's arrival parks both joins at the coordinator for the rebalance delay (session - 1 s).
        s.Cluster.StartRequestTracking();
        var second = s.AddMember("m2");
        await second.StartAsync();
        await WaitUntilAsync(() => Task.FromResult(s.Cluster.GetRequests().Count(r => r.ApiKey == 11) >= 2 && second.Membership.MemberId.Length == 0),
            "both joins parked at the coordinator", RebalanceDeadline);
        Assert.That(first.State, Is.EqualTo(GroupMembershipState.Joining));

        var watch = Stopwatch.StartNew();
        await first.Membership.StopAsync();
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "stop does not wait for the rebalance");
        Assert.That(s.Cluster.GetRequests().Count(r => r.ApiKey == 13), Is.EqualTo(1), "it left with its member id");

        var next = await second.Membership.WaitForGenerationAsync(generation.GenerationId, Timeout(RebalanceDeadline));
        Assert.That(next.Assignment, Is.EqualTo(AllPartitions("orders", 4)));
    });

    [Test]
    public Task Static_members_are_ordered_by_instance_id_and_keep_their_place_when_they_stop() => Scenario.RunAsync(async s =>
    {
        s.Cluster.CreateTopic("orders", 12, 3);
        var b = s.AddMember("b", options: Options("instance-b"));
        var a = s.AddMember("a", options: Options("instance-a"));
        await b.StartAsync();
        await b.Membership.WaitForGenerationAsync(-1, Timeout(RebalanceDeadline));
        await a.StartAsync();
        await WaitForSplitAsync([a, b], "orders", 12);

        // Range over instance ids, whatever the member ids: instance-a first.
        Assert.That(a.Membership.Assignment, Is.EqualTo(AllPartitions("orders", 12)[..6]));
        Assert.That(b.Membership.Assignment, Is.EqualTo(AllPartitions("orders", 12)[6..]));

        var generation = b.Membership.Generation;
        s.Cluster.StartRequestTracking();
        await a.Membership.StopAsync();
        Assert.That(s.Cluster.GetRequests().Any(r => r.ApiKey == 13), Is.False, "a static member does not leave");
        Assert.That(a.Revocations.Single().Lost, Is.False);

        // Its partitions wait for it until its session times out; then b takes them.
        await WaitForSplitAsync([b], "orders", 12, after: generation);
    });

    [Test]
    public Task Members_subscribed_to_several_topics_split_each_topic() => Scenario.RunAsync(async s =>
    {
        s.Cluster.CreateTopic("a", 3, 1);
        s.Cluster.CreateTopic("b", 5, 1);
        var both = s.AddMember("both", topics: ["a", "b"]);
        var onlyB = s.AddMember("onlyB", topics: ["b"]);
        await both.StartAsync();
        await onlyB.StartAsync();

        await WaitUntilAsync(() => Task.FromResult(
                both.IsStable && onlyB.IsStable && both.Membership.Generation == onlyB.Membership.Generation
                && both.Membership.Assignment.Count + onlyB.Membership.Assignment.Count == 8),
            "both members in one generation with all 8 partitions", RebalanceDeadline);

        var expected = new RangeAssignor().Assign(
            [new GroupMemberSubscription(both.Membership.MemberId, ["a", "b"]), new GroupMemberSubscription(onlyB.Membership.MemberId, ["b"])],
            new Dictionary<string, int> { ["a"] = 3, ["b"] = 5 });
        Assert.That(both.Membership.Assignment, Is.EqualTo(expected[both.Membership.MemberId]));
        Assert.That(onlyB.Membership.Assignment, Is.EqualTo(expected[onlyB.Membership.MemberId]));
        Assert.That(onlyB.Membership.Assignment.Select(p => p.Topic), Is.All.EqualTo("b"));
    });

    /// <summary>Waits until every member is stable in the same generation (newer than <paramref name="after"/>) and together they own each partition once.</summary>
    private static Task WaitForSplitAsync(TestMember[] members, string topic, int partitions, int after = -1) =>
        WaitUntilAsync(() => Task.FromResult(IsSplit(members, topic, partitions, after)),
            $"a stable split of {topic} over {members.Length} members after generation {after}", RebalanceDeadline);

    private static bool IsSplit(TestMember[] members, string topic, int partitions, int after)
    {
        var generations = members.Select(m => m.Membership.Current).ToArray();
        if (generations.Any(g => g is null) || members.Any(m => !m.IsStable)
            || generations.Select(g => g!.GenerationId).Distinct().Count() != 1 || generations[0]!.GenerationId <= after)
        {
            return false;
        }
        var owned = generations.SelectMany(g => g!.Assignment).ToList();
        return owned.Count == partitions && owned.Distinct().Count() == partitions && owned.All(p => p.Topic == topic);
    }
}

/// <summary>A mock cluster, a client and members of group <see cref="GroupId"/>; logs are printed if the test fails.</summary>
internal sealed class Scenario : IAsyncDisposable
{
    public const string GroupId = "g";

    private readonly List<TestMember> _members = [];

    private Scenario()
    {
        Cluster = StartCluster();
        Client = NewGroupClient(Cluster, Logs);
    }

    public MockKafkaCluster Cluster { get; }

    public Support.CapturingLoggerFactory Logs { get; } = new();

    public KafkaClient Client { get; }

    public ConcurrentQueue<OwnershipEvent> Events { get; } = new();

    public TestMember AddMember(string name, IReadOnlyList<string>? topics = null, GroupMembershipOptions? options = null, TimeProvider? time = null)
    {
        var member = new TestMember(name, Client, GroupId, topics ?? ["orders"], options ?? Options(), Events, time);
        _members.Add(member);
        return member;
    }

    public static async Task RunAsync(Func<Scenario, Task> test)
    {
        await using var scenario = new Scenario();
        try
        {
            await test(scenario);
        }
        catch
        {
            TestContext.Out.WriteLine(string.Join(Environment.NewLine, scenario._members));
            DumpLogs(scenario.Logs);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            await member.DisposeAsync();
        }
        await Client.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}
