using Confluent.Kafka;
using Kafka.Testing;
using static Kafka.Client.Tests.Consuming.ConsumerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Consuming;

/// <summary>ConsumeBatchAsync: what Confluent.Kafka produced, read back in batches, their lifetime, errors and allocations.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class BatchConsumeTests
{
    [TestCase(Confluent.Kafka.CompressionType.None)]
    [TestCase(Confluent.Kafka.CompressionType.Lz4)]
    public async Task Batches_hold_every_message_once_in_order_with_its_bytes(Confluent.Kafka.CompressionType codec)
    {
        await using var cluster = MockKafkaCluster.Start(2);
        cluster.CreateTopic("batches", partitions: 4, replicationFactor: 1);
        List<Sent> sent;
        using (var producer = Producer(cluster, codec))
        {
            sent = await ProduceVariedAsync(producer, "batches", 4, 300);
        }
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("batches", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions());

        var read = new List<(int Partition, long Offset, byte[]? Key, byte[]? Value, int Headers)>();
        var sizes = new List<int>();
        using var deadline = new CancellationTokenSource(ConsumeDeadline);
        while (read.Count < sent.Count)
        {
            var batch = await consumer.ConsumeBatchAsync(128, deadline.Token);
            Assert.That(batch.Count, Is.InRange(1, 128));
            sizes.Add(batch.Count);
            foreach (var m in batch)
            {
                read.Add((m.PartitionId, m.Offset, m.IsPartitionKeyNull ? null : m.PartitionKey.ToArray(), m.IsValueNull ? null : m.Value.ToArray(), m.HeaderCount));
            }
        }

        var expected = sent.Select(s => (s.Partition, s.Offset, s.Key, s.Value, s.Headers.Length)).ToList();
        Assert.That(read, Is.EquivalentTo(expected), "every message once, with its key, value and headers");
        foreach (var partition in read.GroupBy(r => r.Partition))
        {
            Assert.That(partition.Select(r => r.Offset), Is.Ordered, $"partition {partition.Key} in offset order");
        }
        Assert.That(sizes.Max(), Is.GreaterThan(1), "batches of more than one message");
        Assert.That(consumer.HeldOffsets.Values, Is.All.EqualTo(300L), "the position moved past every batch");
    }

    [Test]
    public async Task A_batch_is_valid_until_the_next_call_and_detached_messages_for_ever()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("lifetime", 1);
        using (var producer = Producer(cluster))
        {
            await ProduceVariedAsync(producer, "lifetime", 1, 10);
        }
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("lifetime", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.ConsumerTimeout = TimeSpan.FromMilliseconds(300)));
        await WaitUntilAsync(() => consumer.HeldOffsets.TryGetValue(0, out var p) && p == 0, "the start position");

        var batch = await ConsumeAtLeastAsync(consumer, 3);
        var first = batch[0];
        var detached = first.Detach();
        var value = first.Value.ToArray();
        Assert.That(first.IsAvailable);
        Assert.That(first.ToString(), Is.EqualTo("lifetime/0@0"));

        var next = await consumer.ConsumeBatchAsync(100, Timeout());
        Assert.That(next, Is.SameAs(batch), "the consumer fills the same batch again");
        Assert.That(first.IsAvailable, Is.False);
        Assert.Throws<ObjectDisposedException>(() => _ = first.Value);
        Assert.Throws<ObjectDisposedException>(() => _ = first.Headers);
        Assert.That((first.Topic, first.PartitionId, first.Offset), Is.EqualTo(("lifetime", 0, 0L)), "where it came from stays readable");
        Assert.That(detached.Value.ToArray(), Is.EqualTo(value));
        Assert.That(detached.IsAvailable && detached.Offset == 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = next[next.Count]);
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await consumer.ConsumeBatchAsync(0, Timeout()));

        // A single consume after a batch also ends the batch's lifetime.
        await consumer.ResetOffsetsAsync(OffsetType.Earliest, Timeout());
        var again = await consumer.ConsumeBatchAsync(2, Timeout());
        while (again.Count == 0)
        {
            again = await consumer.ConsumeBatchAsync(2, Timeout());
        }
        // At most maxMessages: one when the first fetch after the reset brought a record batch of one message.
        var count = again.Count;
        Assert.That(count, Is.InRange(1, 2), "at most maxMessages");
        var held = again[count - 1];
        Assert.That(held.IsAvailable && held.Offset == count - 1);
        var single = await consumer.ConsumeAsync(Timeout());
        Assert.That(held.IsAvailable, Is.False);
        Assert.That(single!.Offset, Is.EqualTo(count), "the message after the batch");

        var empty = await consumer.ConsumeBatchAsync(100, Timeout());
        while (empty.Count > 0)
        {
            empty = await consumer.ConsumeBatchAsync(100, Timeout());
        }
        Assert.That(empty.Count, Is.Zero, "an empty batch once ConsumerTimeout passes with nothing to read");
    }

    [Test]
    public async Task A_corrupt_batch_is_raised_after_the_messages_before_it_by_the_next_call()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("bad", partitions: 1, replicationFactor: 1);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("bad", Timeout());
        await RawProduce.SendAsync(client, "bad", 0, RawProduce.Batch("a0", "a1"), Timeout());
        var corrupt = RawProduce.Batch("a2");
        corrupt[^1] ^= 0xFF; // the CRC covers the records: this breaks it
        var badOffset = await RawProduce.SendAsync(client, "bad", 0, corrupt, Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions());

        var values = new List<string>();
        KafkaConsumeException? error = null;
        using var deadline = new CancellationTokenSource(ConsumeDeadline);
        while (error is null)
        {
            try
            {
                var batch = await consumer.ConsumeBatchAsync(10, deadline.Token);
                values.AddRange(batch.Select(m => System.Text.Encoding.UTF8.GetString(m.Value.Span)));
            }
            catch (KafkaConsumeException ex)
            {
                error = ex;
            }
        }
        Assert.That(values, Is.EqualTo(new[] { "a0", "a1" }), "the messages before the corrupt batch, before the error");
        Assert.That(error.Offset, Is.EqualTo(badOffset));
        Assert.That(consumer.HeldOffsets[0], Is.EqualTo(badOffset));
    }

    private static async Task<MessageBatch> ConsumeAtLeastAsync(SimpleConsumer consumer, int count)
    {
        using var deadline = new CancellationTokenSource(ConsumeDeadline);
        while (true)
        {
            var batch = await consumer.ConsumeBatchAsync(100, deadline.Token);
            if (batch.Count >= count)
            {
                return batch;
            }
            Assert.That(batch.Count, Is.Zero, "the test's messages arrive in one fetch");
        }
    }
}
