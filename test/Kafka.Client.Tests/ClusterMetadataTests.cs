using Kafka.Client.Tests.Support;
using Kafka.Testing;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests;

/// <summary>KafkaClient against librdkafka's mock cluster over TCP, checked against Confluent.Kafka's view.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ClusterMetadataTests
{
    [Test]
    public async Task Discovers_every_broker_of_a_three_broker_cluster()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        await using var client = NewClient(cluster);

        Assert.That(client.Brokers, Is.Empty, "no I/O before the first update");
        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Brokers.Keys, Is.EquivalentTo(cluster.BrokerIds));
        foreach (var id in cluster.BrokerIds)
        {
            var broker = client.Brokers[id];
            Assert.That($"{broker.Host}:{broker.Port}", Is.EqualTo(cluster.GetBrokerAddress(id)));
            Assert.That(broker.Id, Is.EqualTo(id));
        }
        Assert.That(client.Cluster.ClusterId, Does.StartWith("mockCluster"));
    }

    [Test]
    public async Task Topics_partitions_leaders_replicas_and_isr_equal_what_the_cluster_reports()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("orders", partitions: 6, replicationFactor: 3);
        cluster.CreateTopic("audit", partitions: 2, replicationFactor: 1);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());

        using var admin = PeerAdmin(cluster);
        var peer = admin.GetMetadata(TimeSpan.FromSeconds(10));
        foreach (var expected in peer.Topics.Where(t => t.Topic is "orders" or "audit"))
        {
            var topic = client.Topics[expected.Topic];
            Assert.That(topic.Name, Is.EqualTo(expected.Topic));
            Assert.That(topic.Partitions.Keys, Is.EquivalentTo(expected.Partitions.Select(p => p.PartitionId)));
            foreach (var p in expected.Partitions)
            {
                var partition = topic.Partitions[p.PartitionId];
                Assert.That(partition.Id, Is.EqualTo(p.PartitionId));
                Assert.That(partition.Topic, Is.SameAs(topic));
                Assert.That(partition.Leader?.Id, Is.EqualTo(p.Leader), $"leader of {partition}");
                Assert.That(partition.Replicas.Select(b => b.Id), Is.EqualTo(p.Replicas), $"replicas of {partition}");
                Assert.That(partition.Isr.Select(b => b.Id), Is.EqualTo(p.InSyncReplicas), $"ISR of {partition}");
            }
        }
        Assert.That(client.Topics["orders"].Partitions[0].Replicas, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task A_moved_leader_shows_after_update_and_held_topics_are_updated_in_place()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("moves", partitions: 2, replicationFactor: 3);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        var topic = client.Topics["moves"];
        var partition = topic.Partitions[0];
        var newLeader = cluster.BrokerIds.First(id => id != partition.Leader!.Id);

        cluster.SetPartitionLeader("moves", 0, newLeader);
        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Topics["moves"], Is.SameAs(topic), "the held Topic is the one the dictionary returns");
        Assert.That(topic.Partitions[0], Is.SameAs(partition), "partitions are updated in place");
        Assert.That(partition.Leader, Is.SameAs(client.Brokers[newLeader]));
    }

    [Test]
    public async Task A_refresh_that_changes_nothing_keeps_every_partition_state_and_one_that_moves_a_leader_replaces_only_its_own()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("many", partitions: 300, replicationFactor: 3);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        var topic = client.Topics["many"];
        var partitions = topic.Partitions;
        var states = partitions.Values.Select(p => p.State).ToList();
        Assert.That(partitions.Keys, Is.EqualTo(Enumerable.Range(0, 300)), "every partition, in id order");
        Assert.That(partitions.ContainsKey(300), Is.False);
        Assert.That(partitions.ContainsKey(-1), Is.False);
        Assert.That(() => partitions[300], Throws.TypeOf<KeyNotFoundException>().With.Message.Contains("300"));

        await client.UpdateClusterAsync(Timeout());

        Assert.That(topic.Partitions, Is.SameAs(partitions), "nothing changed: the same map");
        Assert.That(partitions.Values.Select(p => p.State), Is.EqualTo(states).Using<PartitionState>(ReferenceEquals), "and the same states");

        var moved = partitions[7];
        var newLeader = cluster.BrokerIds.First(id => id != moved.Leader!.Id);
        cluster.SetPartitionLeader("many", 7, newLeader);
        await client.UpdateClusterAsync(Timeout());

        Assert.That(moved.Leader, Is.SameAs(client.Brokers[newLeader]));
        Assert.That(moved.State, Is.Not.SameAs(states[7]));
        Assert.That(partitions.Values.Where(p => p.Id != 7).Select(p => p.State), Is.EqualTo(states.Where((_, i) => i != 7)).Using<PartitionState>(ReferenceEquals));
        using var admin = PeerAdmin(cluster);
        var peer = admin.GetMetadata("many", TimeSpan.FromSeconds(10)).Topics.Single();
        foreach (var p in peer.Partitions)
        {
            Assert.That(partitions[p.PartitionId].Leader?.Id, Is.EqualTo(p.Leader), $"leader of {p.PartitionId}");
            Assert.That(partitions[p.PartitionId].Replicas.Select(b => b.Id), Is.EqualTo(p.Replicas), $"replicas of {p.PartitionId}");
            Assert.That(partitions[p.PartitionId].Isr.Select(b => b.Id), Is.EqualTo(p.InSyncReplicas), $"ISR of {p.PartitionId}");
        }
    }

    [Test]
    public async Task An_added_and_a_decommissioned_broker_show_after_update()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        var removed = client.Brokers[3];

        cluster.AddBroker(4);
        cluster.DecommissionBroker(3);
        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Brokers.Keys, Is.EquivalentTo(new[] { 1, 2, 4 }));
        Assert.That(removed.IsConnected, Is.False);
    }

    [Test]
    public async Task The_next_seed_is_used_when_a_seed_is_down()
    {
        await using var cluster = MockKafkaCluster.Start(2);
        cluster.SetBrokerDown(1);
        // Seeds are tried in random order: whichever comes first, the update must succeed through broker 2.
        await using var client = NewClient($"{cluster.GetBrokerAddress(1)},{cluster.GetBrokerAddress(2)}");

        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Brokers.Keys, Does.Contain(2));
    }

    [Test]
    public async Task When_every_seed_is_down_the_error_names_each_host_and_why()
    {
        await using var cluster = MockKafkaCluster.Start(2);
        var first = cluster.GetBrokerAddress(1);
        var second = cluster.GetBrokerAddress(2);
        cluster.SetBrokerDown(1);
        cluster.SetBrokerDown(2);
        await using var client = NewClient($"{first},{second}");

        var error = Assert.ThrowsAsync<NoBrokersAvailableException>(() => client.UpdateClusterAsync(Timeout()));

        Assert.That(error!.Attempts.Select(a => a.Key), Is.EquivalentTo(new[] { first, second }));
        Assert.That(error.Message, Does.Contain(first).And.Contain(second));
        Assert.That(error.Attempts.Select(a => a.Value), Is.All.InstanceOf<KafkaConnectionException>());
        Assert.That(error.IsRetriable, Is.True);
    }

    [Test]
    public async Task Known_brokers_are_used_before_the_seeds()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        await using var client = NewClient(cluster.GetBrokerAddress(1));
        await client.UpdateClusterAsync(Timeout());

        // The only seed goes down: pykafka would fail here, the known brokers 2 and 3 must answer.
        cluster.SetBrokerDown(1);
        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Brokers.Keys, Is.SupersetOf(new[] { 2, 3 }));
    }

    [Test]
    public async Task A_broker_advertised_on_a_new_port_is_followed()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("follow", partitions: 1);
        await using var proxy = new TcpProxy("127.0.0.1", cluster.GetBrokerPort(1));
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        var broker = client.Brokers[1];

        cluster.SetBrokerHostPort(1, "127.0.0.1", proxy.Port);
        await client.UpdateClusterAsync(Timeout());
        await client.Topics["follow"].Partitions[0].LatestAvailableOffsetAsync(Timeout());

        Assert.That(client.Brokers[1], Is.SameAs(broker));
        Assert.That(broker.Port, Is.EqualTo(proxy.Port));
        Assert.That(proxy.AcceptedCount, Is.GreaterThanOrEqualTo(1), "requests to broker 1 now go through its new port");
    }

    [Test]
    public async Task Auto_creates_a_topic_through_GetAsync()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        Assert.That(client.Topics.ContainsKey("created-on-demand"), Is.False);

        var topic = await client.Topics.GetAsync("created-on-demand", Timeout());

        Assert.That(topic.Name, Is.EqualTo("created-on-demand"));
        Assert.That(topic.Partitions, Has.Count.EqualTo(4), "the mock creates 4 partitions by default");
        Assert.That(topic.Partitions.Values.Select(p => p.Leader), Is.All.Not.Null);
        Assert.That(client.Topics.ContainsKey("created-on-demand"), Is.True);
    }

    [Test]
    public async Task An_unknown_topic_lookup_names_the_topic()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());

        var error = Assert.Throws<KeyNotFoundException>(() => _ = client.Topics["no-such-topic"]);

        Assert.That(error!.Message, Does.Contain("no-such-topic"));
    }

    [Test]
    public async Task A_topic_nobody_holds_is_collected_and_rebuilt_from_current_metadata()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("weak", partitions: 3, replicationFactor: 3);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        var weak = HoldBriefly(client);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.That(weak.TryGetTarget(out _), Is.False, "the client must not hold topics strongly");

        cluster.SetPartitionLeader("weak", 1, 3);
        await client.UpdateClusterAsync(Timeout());
        var rebuilt = client.Topics["weak"];
        Assert.That(rebuilt.Partitions[1].Leader!.Id, Is.EqualTo(3));
    }

    private static WeakReference<Topic> HoldBriefly(KafkaClient client) => new(client.Topics["weak"]);

    [Test]
    public async Task Concurrent_updates_share_one_metadata_request()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        cluster.SetBrokerRtt(1, TimeSpan.FromMilliseconds(300));
        cluster.StartRequestTracking();

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.UpdateClusterAsync(Timeout())));

        var metadataRequests = cluster.GetRequests().Count(r => r.ApiKey == 3);
        Assert.That(metadataRequests, Is.EqualTo(1));
    }

    [Test]
    public async Task Update_after_dispose_throws_ObjectDisposedException()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("t", partitions: 1);
        var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        await client.Topics["t"].Partitions[0].LatestAvailableOffsetAsync(Timeout());
        var broker = client.Brokers[1];
        Assert.That(broker.IsConnected, Is.True);

        await client.DisposeAsync();
        await client.DisposeAsync();

        Assert.That(broker.IsConnected, Is.False);
        Assert.ThrowsAsync<ObjectDisposedException>(() => client.UpdateClusterAsync());
    }
}
