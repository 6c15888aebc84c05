using Confluent.Kafka;
using static Kafka.Client.Tests.Groups.GroupTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Groups;

/// <summary>Our members and a Confluent.Kafka (librdkafka) consumer in one group, each side leading in turn.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class GroupInteropTests
{
    [TestCase(PartitionAssignmentStrategy.Range, false, TestName = "Range: our leader assigns a Confluent.Kafka member its share")]
    [TestCase(PartitionAssignmentStrategy.Range, true, TestName = "Range: a Confluent.Kafka leader assigns our members theirs")]
    [TestCase(PartitionAssignmentStrategy.RoundRobin, false, TestName = "RoundRobin: our leader assigns a Confluent.Kafka member its share")]
    [TestCase(PartitionAssignmentStrategy.RoundRobin, true, TestName = "RoundRobin: a Confluent.Kafka leader assigns our members theirs")]
    public Task A_mixed_group_splits_the_partitions_as_both_clients_compute_them(PartitionAssignmentStrategy strategy, bool peerLeads) =>
        Scenario.RunAsync(async s =>
        {
            s.Cluster.CreateTopic("orders", 12, 3);
            IPartitionAssignor assignor = strategy == PartitionAssignmentStrategy.Range ? new RangeAssignor() : new RoundRobinAssignor();
            IPartitionAssignor other = strategy == PartitionAssignmentStrategy.Range ? new RoundRobinAssignor() : new RangeAssignor();
            // Every member must list the same assignor first: the mock picks the leader's first protocol for the group.
            var ours = new[] { s.AddMember("m1", options: Options(null, assignor, other)), s.AddMember("m2", options: Options(null, assignor, other)) };

            using var peer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
            {
                BootstrapServers = s.Cluster.BootstrapServers,
                GroupId = Scenario.GroupId,
                PartitionAssignmentStrategy = strategy,
                SessionTimeoutMs = (int)SessionTimeout.TotalMilliseconds,
                HeartbeatIntervalMs = 300,
                EnableAutoCommit = false,
            }).SetLogHandler((_, _) => { }).Build();
            using var stopPolling = new CancellationTokenSource();
            Task? polling = null;
            void StartPeer()
            {
                peer.Subscribe("orders");
                polling = Task.Run(() =>
                {
                    while (!stopPolling.IsCancellationRequested)
                    {
                        try
                        {
                            peer.Consume(TimeSpan.FromMilliseconds(50));
                        }
                        catch (ConsumeException)
                        {
                            // Nothing was produced; errors here do not matter to the assignment.
                        }
                    }
                });
            }

            try
            {
                if (peerLeads)
                {
                    StartPeer();
                    await WaitUntilAsync(() => Task.FromResult(peer.Assignment.Count == 12), "the peer alone with every partition", TimeSpan.FromSeconds(30));
                }
                foreach (var member in ours)
                {
                    await member.StartAsync();
                }
                if (!peerLeads)
                {
                    await WaitUntilAsync(() => Task.FromResult(ours.All(m => m.IsStable) && ours.Sum(m => m.Membership.Assignment.Count) == 12),
                        "our members with every partition", TimeSpan.FromSeconds(30));
                    StartPeer();
                }

                IReadOnlyDictionary<string, IReadOnlyList<TopicAndPartition>>? expected = null;
                await WaitUntilAsync(() =>
                {
                    var peerId = peer.MemberId;
                    var peerAssignment = peer.Assignment.Select(tp => new TopicAndPartition(tp.Topic, tp.Partition.Value)).Order().ToArray();
                    if (string.IsNullOrEmpty(peerId) || !ours.All(m => m.IsStable) || ours.Select(m => m.Membership.Generation).Distinct().Count() != 1)
                    {
                        return Task.FromResult(false);
                    }
                    var members = ours.Select(m => new GroupMemberSubscription(m.Membership.MemberId, ["orders"]))
                        .Append(new GroupMemberSubscription(peerId, ["orders"])).ToArray();
                    expected = assignor.Assign(members, new Dictionary<string, int> { ["orders"] = 12 });
                    return Task.FromResult(
                        ours.All(m => m.Membership.Assignment.SequenceEqual(expected[m.Membership.MemberId]))
                        && peerAssignment.SequenceEqual(expected[peerId]));
                }, "every member holding what the assignor computes for the three of them", TimeSpan.FromSeconds(30));

                Assert.That(expected!.Values.Select(p => p.Count), Is.All.EqualTo(4));
                var leader = ours[0].Membership.Current!.LeaderId;
                Assert.That(leader == peer.MemberId, Is.EqualTo(peerLeads), "the expected side led");
            }
            finally
            {
                await stopPolling.CancelAsync();
                if (polling is not null)
                {
                    await polling;
                }
                peer.Close();
            }
        });
}
