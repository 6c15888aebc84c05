using Confluent.Kafka;
using Kafka.Testing;
using static Kafka.Client.Tests.Consuming.ConsumerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Consuming;

/// <summary>What Confluent.Kafka produces, this consumer reads back byte for byte: every codec, keys, nulls, headers, timestamps.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class InteropTests
{
    [TestCase(Confluent.Kafka.CompressionType.None)]
    [TestCase(Confluent.Kafka.CompressionType.Gzip)]
    [TestCase(Confluent.Kafka.CompressionType.Snappy)]
    [TestCase(Confluent.Kafka.CompressionType.Lz4)]
    [TestCase(Confluent.Kafka.CompressionType.Zstd)]
    public async Task Every_message_is_read_back_byte_for_byte_in_order_once(Confluent.Kafka.CompressionType codec)
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("interop", partitions: 3, replicationFactor: 2);
        List<Sent> sent;
        using (var producer = Producer(cluster, codec))
        {
            sent = await ProduceVariedAsync(producer, "interop", partitions: 3, perPartition: 300);
        }
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("interop", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions());

        var read = await ConsumeAsync(consumer, sent.Count);

        Assert.That(read, Has.Count.EqualTo(sent.Count));
        foreach (var p in Enumerable.Range(0, 3))
        {
            var expected = sent.Where(s => s.Partition == p).OrderBy(s => s.Offset).ToList();
            var actual = read.Where(m => m.PartitionId == p).ToList();
            Assert.That(actual.Select(m => m.Offset), Is.EqualTo(expected.Select(s => s.Offset)), $"partition {p} offsets");
            for (var i = 0; i < expected.Count; i++)
            {
                var (e, a) = (expected[i], actual[i]);
                Assert.That(a.IsPartitionKeyNull, Is.EqualTo(e.Key is null), $"{a}: key null");
                Assert.That(a.PartitionKey.ToArray(), Is.EqualTo(e.Key ?? []), $"{a}: key");
                Assert.That(a.IsValueNull, Is.EqualTo(e.Value is null), $"{a}: value null");
                Assert.That(a.Value.ToArray(), Is.EqualTo(e.Value ?? []), $"{a}: value");
                Assert.That(a.TimestampMilliseconds, Is.EqualTo(e.Timestamp), $"{a}: timestamp");
                Assert.That(a.Headers.Select(h => (h.Key, h.IsNull ? null : h.Value.ToArray())), Is.EqualTo(e.Headers), $"{a}: headers");
            }
        }
        Assert.That(consumer.HeldOffsets, Is.EquivalentTo(Enumerable.Range(0, 3).ToDictionary(p => p, p => (long)sent.Count(s => s.Partition == p))));
        await AssertNothingMoreAsync(consumer, TimeSpan.FromMilliseconds(300));
    }
}
