using System.Collections.Concurrent;
using Confluent.Kafka;
using Kafka.Testing.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Kafka.Testing.Tests;

/// <summary>
/// librdkafka's mock asserts that every member of a group lists the same assignment protocol first, and aborts the
/// whole process when one does not. With <c>guardGroupProtocols</c> the cluster refuses that member's JoinGroup in
/// the broker's place (INCONSISTENT_GROUP_PROTOCOL), so the test sees an error and the process lives on. Confluent.Kafka
/// consumers are the members: the guard reads and answers what an independent client sends.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class GroupProtocolGuardTests
{
    [TestCase("roundrobin")]
    [TestCase("roundrobin,range")] // Kafka would accept it (range is common to both); the mock would abort on it
    public void A_member_whose_first_protocol_differs_is_refused_and_the_process_survives(string secondMember)
    {
        var logs = new ListLogger();
        using var cluster = MockKafkaCluster.Start(1, logs, guardGroupProtocols: true);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        cluster.CreateTopic("orders", 2);
        using var producer = Peer.Producer(cluster);
        Peer.ProduceAsync(producer, "orders", "first", partition: 0).GetAwaiter().GetResult();
        Peer.ProduceAsync(producer, "orders", "second", partition: 1).GetAwaiter().GetResult();

        using var first = Consumer(cluster, "range", out _);
        first.Subscribe("orders");
        Assert.That(ConsumeValues(first, 2), Is.EquivalentTo(new[] { "first", "second" }));

        using var second = Consumer(cluster, secondMember, out var secondErrors);
        second.Subscribe("orders");
        Eventually.WaitUntil(() =>
        {
            // Both members keep polling, so the first one rejoins as the leader: without the guard, the mock would
            // abort the process on building its JoinGroup answer.
            first.Consume(TimeSpan.FromMilliseconds(50));
            try
            {
                second.Consume(TimeSpan.FromMilliseconds(50));
            }
            catch (ConsumeException ex)
            {
                secondErrors.Enqueue(ex.Error);
            }
            return secondErrors.Any(e => e.Code == ErrorCode.InconsistentGroupProtocol);
        }, "the second member to hear INCONSISTENT_GROUP_PROTOCOL");

        // Still here: the mock never saw the member it would have aborted on, and the group goes on serving the first.
        var refusal = cluster.GroupProtocolRefusals.First();
        Assert.That(refusal, Does.StartWith($"Group 'guarded': a member joining with protocols [{secondMember.Replace(",", ", ", StringComparison.Ordinal)}] was refused")
            .And.Contains("because a member in the group lists [range]"));
        Assert.That(logs.Entries, Has.Some.Matches<(LogLevel Level, string Message)>(e => e.Level == LogLevel.Error && e.Message.Contains("INCONSISTENT_GROUP_PROTOCOL", StringComparison.Ordinal)));
        Peer.ProduceAsync(producer, "orders", "third", partition: 1).GetAwaiter().GetResult();
        Assert.That(ConsumeValues(first, 1), Is.EqualTo(new[] { "third" }));
    }

    [Test]
    public void Members_listing_the_same_protocol_first_share_the_group_untouched()
    {
        using var cluster = MockKafkaCluster.Start(1, guardGroupProtocols: true);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        cluster.CreateTopic("orders", 2);
        using var producer = Peer.Producer(cluster);

        using var first = Consumer(cluster, "range", out var firstErrors);
        using var second = Consumer(cluster, "range,roundrobin", out var secondErrors);
        first.Subscribe("orders");
        second.Subscribe("orders");
        Eventually.WaitUntil(() =>
        {
            first.Consume(TimeSpan.FromMilliseconds(50));
            second.Consume(TimeSpan.FromMilliseconds(50));
            return first.Assignment.Count == 1 && second.Assignment.Count == 1;
        }, "both members to get one partition each", TimeSpan.FromSeconds(40));

        Assert.That(cluster.GroupProtocolRefusals, Is.Empty);
        Assert.That(firstErrors.Concat(secondErrors).Select(e => e.Code), Has.None.EqualTo(ErrorCode.InconsistentGroupProtocol));
    }

    /// <summary>A member of group "guarded" offering <paramref name="strategies"/> (librdkafka lists them in the order given).</summary>
    private static IConsumer<Ignore, string> Consumer(MockKafkaCluster cluster, string strategies, out ConcurrentQueue<Error> errors)
    {
        var seen = errors = new ConcurrentQueue<Error>();
        var config = new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "guarded",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            // The mock waits the session timeout less a second for members to rejoin when one more joins.
            SessionTimeoutMs = 6_000,
        };
        config.Set("partition.assignment.strategy", strategies);
        return new ConsumerBuilder<Ignore, string>(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, error) => seen.Enqueue(error))
            .Build();
    }

    private static List<string> ConsumeValues(IConsumer<Ignore, string> consumer, int count)
    {
        var values = new List<string>();
        Eventually.WaitUntil(() =>
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result)
            {
                values.Add(result.Message.Value);
            }
            return values.Count >= count;
        }, $"{count} message(s)");
        return values;
    }
}
