using Confluent.Kafka;
using Kafka.Testing;
using static Kafka.Client.Tests.Groups.GroupTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Balanced;

/// <summary>
/// A paused partition's lag keeps following its high watermark: the partition stays in the consumer's fetches as a
/// zero-byte probe, so no ListOffsets (nor any other request) is made for it. Against the mock brokers, with
/// Confluent.Kafka producing.
/// </summary>
[TestFixture]
public sealed class PausedLagTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(40);

    [Test]
    public async Task Lag_rises_while_a_partition_is_paused_without_a_ListOffsets_request_and_falls_to_zero_after_resume()
    {
        using var cluster = StartCluster(1);
        cluster.CreateTopic("held", 2, 1);
        var paused = new TopicAndPartition("held", 0);
        var active = new TopicAndPartition("held", 1);
        using (var producer = PeerProducer(cluster))
        {
            for (var i = 0; i < 5; i++)
            {
                await producer.ProduceAsync(new TopicPartition("held", 0), new Message<byte[], byte[]> { Key = [], Value = [(byte)i] });
            }
        }
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        await using var consumer = client.Cluster.GetBalancedConsumer(["held"], "held-group", BalancedScenario.Options());
        using var timeout = new CancellationTokenSource(Deadline);
        for (var i = 0; i < 3; i++)
        {
            var message = await consumer.ConsumeAsync(timeout.Token);
            Assert.That((message!.PartitionId, message.Offset), Is.EqualTo((0, (long)i)));
        }

        consumer.Pause([paused]);
        var held = consumer.HeldOffsets[paused];
        Assert.That(held, Is.EqualTo(2), "held at the message in hand");
        await WaitUntilAsync(() => consumer.Lag.GetValueOrDefault(paused, -1) == 5 - held, "the lag of the paused partition is known", Deadline);
        cluster.StartRequestTracking();
        using (var producer = PeerProducer(cluster))
        {
            for (var i = 5; i < 25; i++)
            {
                await producer.ProduceAsync(new TopicPartition("held", 0), new Message<byte[], byte[]> { Key = [], Value = [(byte)i] });
            }
        }
        await WaitUntilAsync(() => consumer.Lag.GetValueOrDefault(paused, -1) == 25 - held, "lag rises while paused", Deadline);
        var requests = cluster.GetRequests();
        cluster.StopRequestTracking();
        Assert.Multiple(() =>
        {
            Assert.That(requests.Where(r => r.ApiKey == 2), Is.Empty, "no ListOffsets for lag");
            Assert.That(requests.Where(r => r.ApiKey == 1), Is.Not.Empty, "the high watermark came with the fetches");
            Assert.That(consumer.Lag.GetValueOrDefault(active, -1), Is.Zero, "the other partition is fetched as before");
            Assert.That(consumer.HeldOffsets[paused], Is.EqualTo(held), "still held where it was paused");
        });

        consumer.Resume([paused]);
        for (var offset = held; offset < 25; offset++)
        {
            var message = await consumer.ConsumeAsync(timeout.Token);
            Assert.That((message!.PartitionId, message.Offset), Is.EqualTo((0, offset)), "resumed where it was held, nothing skipped");
        }
        await WaitUntilAsync(() => consumer.Lag.GetValueOrDefault(paused, -1) == 0, "caught up", Deadline);
    }
}
