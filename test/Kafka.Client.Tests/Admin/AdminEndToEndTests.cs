using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Kafka.Client.Admin;
using Kafka.Testing;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Admin;

/// <summary>
/// The admin API end to end against the mock cluster: what the mock serves (metadata, committed offsets, lag), and
/// topic creation and deletion through <see cref="MockKafkaCluster"/>'s serveTopicAdmin feature, checked both ways
/// with Confluent.Kafka.
/// </summary>
[TestFixture]
public sealed class AdminEndToEndTests
{
    [Test]
    public async Task Creating_topics_reports_each_topic_and_the_new_one_is_usable_by_both_clients()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 3, serveTopicAdmin: true);
        cluster.CreateTopic("exists", partitions: 1);
        await using var client = NewClient(cluster);

        var orders = new NewTopic("orders") { Partitions = 3, ReplicationFactor = 2 };
        var results = await client.Admin.CreateTopicsAsync([orders, new NewTopic("exists") { Partitions = 1, ReplicationFactor = 1 }], cancellationToken: Timeout());

        Assert.That(results.Select(r => r.Name), Is.EqualTo(new[] { "orders", "exists" }));
        Assert.That(results[0].Succeeded, Is.True, results[0].Error?.Message);
        Assert.That(results[1].Error?.ErrorCode, Is.EqualTo(KafkaErrorCode.TopicAlreadyExists));
        Assert.That(results[1].Error!.Message, Does.Contain("'exists'"));
        Assert.That(client.Topics["orders"].Partitions.Count, Is.EqualTo(3), "the metadata is refreshed after creating");
        Assert.That(client.Topics["orders"].Partitions[0].Replicas.Count, Is.EqualTo(2));

        using var peer = PeerAdmin(cluster);
        var seen = peer.GetMetadata("orders", TimeSpan.FromSeconds(10)).Topics.Single();
        Assert.That(seen.Partitions.Count, Is.EqualTo(3));

        // The peer creates through the same feature, and this client sees the topic.
        await peer.CreateTopicsAsync([new TopicSpecification { Name = "peer-made", NumPartitions = 2, ReplicationFactor = 1 }]);
        await client.UpdateClusterAsync(Timeout());
        Assert.That(client.Topics["peer-made"].Partitions.Count, Is.EqualTo(2));
    }

    [Test]
    public async Task Validate_only_creates_nothing_and_defaults_follow_the_mock()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1, serveTopicAdmin: true);
        await using var client = NewClient(cluster);

        var checkedOnly = await client.Admin.CreateTopicsAsync([new NewTopic("maybe") { Partitions = 2, ReplicationFactor = 1 }],
            new AdminRequestOptions { ValidateOnly = true }, Timeout());
        Assert.That(checkedOnly.Single().Succeeded, Is.True);
        await client.UpdateClusterAsync(Timeout());
        Assert.That(client.Topics.ContainsKey("maybe"), Is.False);

        var bad = await client.Admin.CreateTopicsAsync([new NewTopic("bad") { Partitions = 0, ReplicationFactor = 1 }], cancellationToken: Timeout());
        Assert.That(bad.Single().Error?.ErrorCode, Is.EqualTo(KafkaErrorCode.InvalidPartitions));

        var defaults = await client.Admin.CreateTopicsAsync([new NewTopic("defaults")], cancellationToken: Timeout());
        Assert.That(defaults.Single().Succeeded, Is.True);
        Assert.That(client.Topics["defaults"].Partitions.Count, Is.EqualTo(4), "-1 is the mock's default of 4 partitions");
    }

    [Test]
    public async Task Before_Kafka_2_4_a_topic_asking_for_broker_defaults_fails_alone()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1, serveTopicAdmin: true, recordApiVersions: true);
        await using var client = NewClient(cluster, o => o.BrokerVersion = "2.1"); // CreateTopics v3
        cluster.StartRequestTracking();

        var results = await client.Admin.CreateTopicsAsync([new NewTopic("defaults"), new NewTopic("explicit") { Partitions = 2, ReplicationFactor = 1 }], cancellationToken: Timeout());

        Assert.That(results[0].Error?.ErrorCode, Is.EqualTo(KafkaErrorCode.UnsupportedVersion));
        Assert.That(results[0].Error!.Message, Does.Contain("'defaults'").And.Contain("Kafka 2.4"));
        Assert.That(results[1].Succeeded, Is.True, results[1].Error?.Message);
        Assert.That(client.Topics.ContainsKey("explicit"), Is.True);
        Assert.That(cluster.GetRequests().Where(r => r.ApiKey == 19).Select(r => r.ApiVersion), Is.EqualTo(new short?[] { 3 }));
    }

    [Test]
    public async Task Deleting_topics_reports_each_topic()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 2, serveTopicAdmin: true);
        cluster.CreateTopic("doomed", partitions: 2);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        Assert.That(client.Topics.ContainsKey("doomed"), Is.True);

        var results = await client.Admin.DeleteTopicsAsync(["doomed", "never-was"], cancellationToken: Timeout());

        Assert.That(results[0].Succeeded, Is.True, results[0].Error?.Message);
        Assert.That(results[1].Error?.ErrorCode, Is.EqualTo(KafkaErrorCode.UnknownTopicOrPartition));
        Assert.That(client.Topics.ContainsKey("doomed"), Is.False, "the metadata is refreshed after deleting");

        cluster.CreateTopic("peer-doomed", partitions: 1);
        using var peer = PeerAdmin(cluster);
        await peer.DeleteTopicsAsync(["peer-doomed"]);
        var again = await client.Admin.DeleteTopicsAsync(["peer-doomed"], cancellationToken: Timeout());
        Assert.That(again.Single().Error?.ErrorCode, Is.EqualTo(KafkaErrorCode.UnknownTopicOrPartition), "the peer's delete went through the feature");
    }

    [Test]
    public async Task The_cluster_is_described_from_metadata_when_brokers_lack_DescribeCluster()
    {
        // serveTopicAdmin names a controller, which Confluent's DescribeCluster waits for; DescribeCluster itself is
        // not advertised, so this client falls back to Metadata.
        await using var cluster = MockKafkaCluster.Start(brokerCount: 3, serveTopicAdmin: true);
        await using var client = NewClient(cluster);

        var description = await client.Admin.DescribeClusterAsync(cancellationToken: Timeout());

        using var peer = PeerAdmin(cluster);
        var peerView = await peer.DescribeClusterAsync();
        Assert.That(description.Brokers.Select(b => b.Id), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(description.Brokers.Select(b => $"{b.Host}:{b.Port}"), Is.EqualTo(peerView.Nodes.OrderBy(n => n.Id).Select(n => $"{n.Host}:{n.Port}")));
        Assert.That(description.ClusterId, Is.EqualTo(peerView.ClusterId));
        Assert.That(description.ControllerId, Is.EqualTo(peerView.Controller.Id));
    }

    [Test]
    public async Task Lag_and_committed_offsets_agree_with_what_Confluent_committed_and_reads_back()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 2);
        cluster.CreateTopic("lagging", partitions: 2);
        using (var producer = PeerProducer(cluster))
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(new TopicPartition("lagging", i < 7 ? 0 : 1), new Message<byte[], byte[]> { Value = [(byte)i] });
            }
        }
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "readers" })
            .SetLogHandler((_, _) => { }).Build();
        consumer.Commit([new TopicPartitionOffset("lagging", 0, 4), new TopicPartitionOffset("lagging", 1, 3)]);
        await using var client = NewClient(cluster);

        // The mock answers OffsetFetch only for the partitions named (not "every partition" with a null list), so ask by topic.
        var lag = await client.Admin.GetConsumerLagAsync("readers", ["lagging"], Timeout());

        Assert.That(lag.Partitions, Is.EqualTo(new[]
        {
            new PartitionLag(new TopicAndPartition("lagging", 0), 4, 7, 3),
            new PartitionLag(new TopicAndPartition("lagging", 1), 3, 3, 0),
        }));
        Assert.That(lag.TotalLag, Is.EqualTo(3));

        var altered = await client.Admin.AlterGroupOffsetsAsync("readers", new Dictionary<TopicAndPartition, long> { [new("lagging", 0)] = 1 }, Timeout());
        Assert.That(altered.Single().Succeeded, Is.True, altered.Single().Error?.Message);
        var committed = consumer.Committed([new TopicPartition("lagging", 0)], TimeSpan.FromSeconds(10)).Single();
        Assert.That(committed.Offset.Value, Is.EqualTo(1), "Confluent reads back the offset this client set");

        var offsets = await client.Admin.ListGroupOffsetsAsync("readers", [new("lagging", 0), new("lagging", 1)], Timeout());
        Assert.That(offsets.Select(o => (o.Partition.ToString(), o.Offset)), Is.EqualTo(new[] { ("lagging/0", 1L), ("lagging/1", 3L) }));
        var none = await client.Admin.GetConsumerLagAsync("nobody", ["lagging"], Timeout());
        Assert.That(none.Partitions.Select(p => (p.CommittedOffset, p.Lag)), Is.EqualTo(new[] { (-1L, (long?)null), (-1L, (long?)null) }));
    }

    [Test]
    public async Task An_api_the_brokers_lack_is_a_version_error_naming_it()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        cluster.CreateTopic("t", partitions: 1);
        await using var client = NewClient(cluster);

        var error = Assert.ThrowsAsync<KafkaVersionException>(() =>
            client.Admin.DeleteRecordsAsync(new Dictionary<TopicAndPartition, long> { [new("t", 0)] = 1 }, cancellationToken: Timeout()));
        Assert.That(error!.Message, Does.Contain("DeleteRecords"));
        Assert.ThrowsAsync<KafkaVersionException>(() => client.Admin.ListGroupsAsync(cancellationToken: Timeout()));
    }

    [Test]
    public void Bad_arguments_are_refused_before_anything_is_sent()
    {
        using var client = NewClient("127.0.0.1:9");
        var assigned = new NewTopic("a") { Partitions = 2 };
        assigned.ReplicaAssignment[0] = [1];
        Assert.ThrowsAsync<ArgumentException>(() => client.Admin.CreateTopicsAsync([assigned]));
        Assert.ThrowsAsync<ArgumentException>(() => client.Admin.CreateTopicsAsync([new NewTopic("x"), new NewTopic("x")]));
        Assert.ThrowsAsync<ArgumentException>(() => client.Admin.DeleteTopicsAsync([]));
    }
}
