using Confluent.Kafka;
using Kafka.Testing;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests;

/// <summary>Offset lookups checked against what Confluent.Kafka produced, and internal-topic visibility.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class OffsetsAndTopicsTests
{
    [Test]
    public async Task Earliest_and_latest_offsets_match_what_was_produced_with_Confluent_Kafka()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("produced", partitions: 3, replicationFactor: 3);
        var counts = new[] { 5, 0, 12 };
        using (var producer = PeerProducer(cluster))
        {
            for (var p = 0; p < counts.Length; p++)
            {
                for (var i = 0; i < counts[p]; i++)
                {
                    await producer.ProduceAsync(new TopicPartition("produced", p), new Message<byte[], byte[]> { Value = [(byte)i] });
                }
            }
            producer.Flush(TimeSpan.FromSeconds(10));
        }
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        var topic = client.Topics["produced"];

        var latest = await topic.LatestAvailableOffsetsAsync(Timeout());
        var earliest = await topic.EarliestAvailableOffsetsAsync(Timeout());

        Assert.That(latest, Is.EquivalentTo(new Dictionary<int, long> { [0] = 5, [1] = 0, [2] = 12 }));
        Assert.That(earliest.Values, Is.All.EqualTo(0));
        Assert.That(await topic.Partitions[2].LatestAvailableOffsetAsync(Timeout()), Is.EqualTo(12));
        Assert.That(await topic.Partitions[2].EarliestAvailableOffsetAsync(Timeout()), Is.EqualTo(0));

        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "peer" })
            .SetLogHandler((_, _) => { }).Build();
        for (var p = 0; p < counts.Length; p++)
        {
            var marks = consumer.QueryWatermarkOffsets(new TopicPartition("produced", p), TimeSpan.FromSeconds(10));
            Assert.That(latest[p], Is.EqualTo(marks.High.Value), $"partition {p} high watermark as Confluent.Kafka sees it");
            Assert.That(earliest[p], Is.EqualTo(marks.Low.Value), $"partition {p} low watermark as Confluent.Kafka sees it");
        }
    }

    [Test]
    public async Task Offsets_are_looked_up_at_the_new_leader_after_a_move()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("moving", partitions: 1, replicationFactor: 3);
        using (var producer = PeerProducer(cluster))
        {
            await producer.ProduceAsync(new TopicPartition("moving", 0), new Message<byte[], byte[]> { Value = [1] });
        }
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        var partition = client.Topics["moving"].Partitions[0];
        var other = cluster.BrokerIds.First(id => id != partition.Leader!.Id);

        // The client still thinks the old leader leads: it must get NOT_LEADER, refresh, and ask the new one.
        cluster.SetPartitionLeader("moving", 0, other);
        var latest = await partition.LatestAvailableOffsetAsync(Timeout());

        Assert.That(latest, Is.EqualTo(1));
        Assert.That(partition.Leader!.Id, Is.EqualTo(other));
    }

    [Test]
    public async Task A_timestamp_lookup_returns_the_brokers_answer_for_every_partition()
    {
        // librdkafka's mock keeps no timestamp index and answers -1 ("no such offset") to every timestamp
        // lookup; the lookup's encoding is checked byte for byte in ListOffsetsTests.
        await using var cluster = MockKafkaCluster.Start(2);
        cluster.CreateTopic("times", partitions: 3, replicationFactor: 2);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        var topic = client.Topics["times"];

        var offsets = await topic.FetchOffsetLimitsAsync(DateTimeOffset.UtcNow.AddHours(-1), Timeout());
        var one = await topic.Partitions[1].FetchOffsetLimitAsync(DateTimeOffset.UtcNow, Timeout());

        Assert.That(offsets.Keys, Is.EquivalentTo(new[] { 0, 1, 2 }));
        Assert.That(offsets.Values, Is.All.EqualTo(-1));
        Assert.That(one, Is.EqualTo(-1));
    }

    [TestCase(false, TestName = "Internal topics are hidden by default (Metadata v12, is_internal)")]
    [TestCase(true, TestName = "Internal topics are hidden by default (Metadata v0, name prefix)")]
    public async Task Internal_topics_are_hidden_by_default(bool metadataV0)
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("__consumer_offsets", partitions: 2);
        cluster.CreateTopic("visible", partitions: 1);
        if (metadataV0)
        {
            cluster.SetApiVersion(3, 0, 0);
        }
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Topics.Keys, Does.Contain("visible").And.Not.Contain("__consumer_offsets"));
        Assert.That(client.Topics.ContainsKey("__consumer_offsets"), Is.False);
        var error = Assert.Throws<KeyNotFoundException>(() => _ = client.Topics["__consumer_offsets"]);
        Assert.That(error!.Message, Does.Contain("__consumer_offsets").And.Contain("ExcludeInternalTopics"));
        Assert.ThrowsAsync<KeyNotFoundException>(() => client.Topics.GetAsync("__consumer_offsets", Timeout()));
    }

    [Test]
    public async Task Internal_topics_are_shown_when_not_excluded()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("__consumer_offsets", partitions: 2);
        await using var client = NewClient(cluster, o => o.ExcludeInternalTopics = false);
        await client.UpdateClusterAsync(Timeout());

        var topic = client.Topics["__consumer_offsets"];

        Assert.That(topic.IsInternal, Is.True);
        Assert.That(topic.Partitions, Has.Count.EqualTo(2));
        Assert.That(client.Topics.Keys, Does.Contain("__consumer_offsets"));
    }
}
