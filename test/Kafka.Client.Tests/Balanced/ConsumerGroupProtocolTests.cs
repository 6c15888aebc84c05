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

    /// <summary>All members own something, together every partition, each partition once, and no member waits for more.</summary>
    internal static Task WaitForSplitAsync(BalancedScenario s, IReadOnlyList<TestBalancedMember> members, int partitions) => s.WaitUntilAsync(() =>
    {
        var owned = members.SelectMany(m => m.Consumer.Assignment).ToList();
        return owned.Count == partitions && owned.Distinct().Count() == partitions && members.All(m => m.Consumer.Assignment.Count > 0);
    }, $"{members.Count} members split {partitions} partitions");
}
