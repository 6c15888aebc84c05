using Kafka.Testing;
using static Kafka.Client.Tests.Consuming.ConsumerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Consuming;

/// <summary>
/// Reading batches allocates nothing per message: what remains is per fetch (requests, responses, wake-ups). Runs alone:
/// other tests' allocations would blur the process-wide count.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ConsumerAllocationTests
{
    private const int Messages = 20_000;

    [Test]
    public async Task Reading_batches_allocates_nothing_per_message_in_the_whole_process()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("alloc", partitions: 2, replicationFactor: 1);
        using (var producer = Producer(cluster))
        {
            await ProduceVariedAsync(producer, "alloc", 2, Messages / 2, valueSize: 100);
        }
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("alloc", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.QueuedMaxMessages = Messages));

        // Each pass reads the whole topic again; the first fills the pools and the JIT. The best later pass is judged:
        // a per-message allocation (24 bytes at least) shows in every pass, a pool growing once does not.
        var perMessage = new List<double>();
        var single = 0.0;
        for (var pass = 0; pass < 5; pass++)
        {
            await consumer.ResetOffsetsAsync(OffsetType.Earliest, Timeout());
            var before = GC.GetTotalAllocatedBytes(precise: true);
            long checksum = 0;
            if (pass == 4)
            {
                // For comparison: one message at a time allocates its ConsumedMessage.
                for (var count = 0; count < Messages; count++)
                {
                    var m = await consumer.ConsumeAsync(Timeout());
                    checksum += m!.Value.Length;
                }
                single = (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / Messages;
                break;
            }
            for (var count = 0; count < Messages;)
            {
                var batch = await consumer.ConsumeBatchAsync(500, Timeout());
                foreach (var m in batch)
                {
                    checksum += m.Value.Length + m.PartitionKey.Length + m.HeaderCount;
                    count++;
                }
            }
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Assert.That(checksum, Is.GreaterThan(0));
            if (pass > 0)
            {
                perMessage.Add((double)allocated / Messages);
            }
        }
        TestContext.Out.WriteLine($"batches: {string.Join(", ", perMessage.Select(b => b.ToString("0.00")))} bytes per message in the process; one at a time: {single:0.0}");
        Assert.That(perMessage.Min(), Is.LessThan(16), "bytes per message, the fetch loop included");
    }
}
