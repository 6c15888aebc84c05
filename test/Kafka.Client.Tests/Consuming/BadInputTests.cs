using System.Buffers.Binary;
using Kafka.Client.Protocol.Records;
using Kafka.Testing;
using static Kafka.Client.Tests.Consuming.ConsumerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Consuming;

/// <summary>Corrupt data stops its partition with a clear error, once; the other partitions keep going.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class BadInputTests
{
    private static byte[] WithBadCrc(byte[] batch)
    {
        batch[^1] ^= 0xFF; // a record byte: the stored CRC-32C no longer matches
        return batch;
    }

    private static byte[] WithCodec(byte[] batch, int codec)
    {
        // The attributes are covered by the CRC, so it is recomputed: only the codec id is wrong.
        var attributes = BinaryPrimitives.ReadInt16BigEndian(batch.AsSpan(RecordBatchFormat.AttributesOffset));
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatchFormat.AttributesOffset), (short)((attributes & ~7) | codec));
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatchFormat.CrcOffset), Crc32C.Compute(batch.AsSpan(RecordBatchFormat.AttributesOffset)));
        return batch;
    }

    [TestCase("crc", "CRC-32C mismatch")]
    [TestCase("codec", "unknown compression codec 6")]
    public async Task A_corrupt_batch_stops_its_partition_with_a_clear_error_and_the_others_go_on(string corruption, string expected)
    {
        await using var cluster = MockKafkaCluster.Start(2);
        cluster.CreateTopic("bad", partitions: 2, replicationFactor: 1);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("bad", Timeout());
        await RawProduce.SendAsync(client, "bad", 0, RawProduce.Batch("a0", "a1"), Timeout());
        await RawProduce.SendAsync(client, "bad", 1, RawProduce.Batch("b0", "b1"), Timeout());
        var bad = corruption == "crc" ? WithBadCrc(RawProduce.Batch("b2", "b3")) : WithCodec(RawProduce.Batch("b2", "b3"), 6);
        var badOffset = await RawProduce.SendAsync(client, "bad", 1, bad, Timeout());
        await RawProduce.SendAsync(client, "bad", 1, RawProduce.Batch("b4"), Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions());

        var before = new List<string>();
        KafkaConsumeException? error = null;
        using var cts = new CancellationTokenSource(ConsumeDeadline);
        while (error is null)
        {
            try
            {
                var m = await consumer.ConsumeAsync(cts.Token);
                before.Add($"{m!.PartitionId}:{System.Text.Encoding.UTF8.GetString(m.Value.Span)}");
            }
            catch (KafkaConsumeException ex)
            {
                error = ex;
            }
        }

        Assert.That(error.Topic, Is.EqualTo("bad"));
        Assert.That(error.PartitionId, Is.EqualTo(1));
        Assert.That(error.Offset, Is.EqualTo(badOffset));
        Assert.That(error.Message, Does.Contain(expected).And.Contain("bad/1").And.Contain($"offset {badOffset}"));
        Assert.That(before.Where(s => s.StartsWith('1')), Is.EqualTo(new[] { "1:b0", "1:b1" }), "partition 1's messages before the bad batch");

        // The other partition keeps going; the failed one is not fetched again (no repeated error).
        await RawProduce.SendAsync(client, "bad", 0, RawProduce.Batch("a2"), Timeout());
        var rest = await ConsumeAsync(consumer, 3 - before.Count(s => s.StartsWith('0')));
        Assert.That(rest.Select(m => m.PartitionId), Is.All.EqualTo(0));
        Assert.That(consumer.HeldOffsets[1], Is.EqualTo(badOffset));

        // Skipping the bad batch (two records) resumes the partition after it.
        await consumer.ResetOffsetsAsync(new Dictionary<int, long> { [1] = badOffset + 2 }, Timeout());
        var after = await ConsumeAsync(consumer, 1);
        Assert.That(after.Single().Offset, Is.EqualTo(badOffset + 2));
        Assert.That(System.Text.Encoding.UTF8.GetString(after.Single().Value.Span), Is.EqualTo("b4"));
    }
}
