using Kafka.Client.Tests.Fixtures;
using Kafka.Testing;
using static Kafka.Client.Tests.Consuming.ConsumerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Consuming;

/// <summary>Leader moves, a broker down and back, injected errors, truncated responses, deleted data: nothing skipped, nothing twice.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class FaultTests
{
    private const short FetchKey = 1;

    private static Dictionary<int, long> Zeros(int partitions) => Enumerable.Range(0, partitions).ToDictionary(p => p, _ => 0L);

    private static Dictionary<int, long> Counts(int partitions, long count) => Enumerable.Range(0, partitions).ToDictionary(p => p, _ => count);

    [Test]
    public async Task A_leader_moved_mid_consumption_is_followed_without_loss_or_duplicates()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("moves", partitions: 2, replicationFactor: 3);
        cluster.SetPartitionLeader("moves", 0, 1);
        cluster.SetPartitionLeader("moves", 1, 2);
        using var producer = Producer(cluster);
        await ProduceVariedAsync(producer, "moves", 2, 300);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("moves", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.QueuedMaxMessages = 50));

        var read = await ConsumeAsync(consumer, 200);
        cluster.SetPartitionLeader("moves", 0, 3);
        cluster.SetPartitionLeader("moves", 1, 3);
        await ProduceVariedAsync(producer, "moves", 2, 200);
        read.AddRange(await ConsumeAsync(consumer, 1000 - 200));

        AssertEachOffsetOnce(read, Zeros(2), Counts(2, 500));
        Assert.That(topic.Partitions[0].Leader!.Id, Is.EqualTo(3));
        await AssertNothingMoreAsync(consumer, TimeSpan.FromMilliseconds(200));
    }

    [Test]
    public async Task A_broker_down_and_back_is_retried_without_loss_or_duplicates()
    {
        await using var cluster = MockKafkaCluster.Start(2);
        cluster.CreateTopic("down", partitions: 2, replicationFactor: 1);
        cluster.SetPartitionLeader("down", 0, 1);
        cluster.SetPartitionLeader("down", 1, 2);
        using var producer = Producer(cluster);
        await ProduceVariedAsync(producer, "down", 2, 200);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("down", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.QueuedMaxMessages = 20));

        var read = await ConsumeAsync(consumer, 100);
        cluster.SetBrokerDown(2);
        // Partition 0 keeps flowing while broker 2 is down.
        var during = await ConsumeAsync(consumer, 200 - read.Count(m => m.PartitionId == 0));
        read.AddRange(during);
        Assert.That(during.Select(m => m.PartitionId), Has.Some.EqualTo(0));
        cluster.SetBrokerUp(2);
        read.AddRange(await ConsumeAsync(consumer, 400 - read.Count));

        AssertEachOffsetOnce(read, Zeros(2), Counts(2, 200));
        await AssertNothingMoreAsync(consumer, TimeSpan.FromMilliseconds(200));
    }

    [Test]
    public async Task Injected_fetch_errors_are_retried_without_loss_or_duplicates()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("errors", partitions: 3, replicationFactor: 2);
        using var producer = Producer(cluster);
        await ProduceVariedAsync(producer, "errors", 3, 200);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("errors", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.QueuedMaxMessages = 30));
        var read = await ConsumeAsync(consumer, 60);

        // NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, REQUEST_TIMED_OUT, LEADER_NOT_AVAILABLE,
        // OFFSET_OUT_OF_RANGE (while the offset is in range), FENCED_LEADER_EPOCH, and a dropped connection.
        cluster.PushRequestErrors(FetchKey, 6, 3, 7, 5, 1, 74, -195, 6);
        read.AddRange(await ConsumeAsync(consumer, 600 - 60));

        AssertEachOffsetOnce(read, Zeros(3), Counts(3, 200));
        await AssertNothingMoreAsync(consumer, TimeSpan.FromMilliseconds(200));
    }

    [Test]
    public async Task A_truncated_fetch_response_loses_nothing()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("cut", partitions: 1);
        await using var proxy = new FetchTruncatingProxy("127.0.0.1", cluster.GetBrokerPort(1));
        cluster.SetBrokerHostPort(1, "127.0.0.1", proxy.Port);
        using var producer = Producer(cluster);
        await ProduceVariedAsync(producer, "cut", 1, 100);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("cut", Timeout());
        proxy.Arm();
        await using var consumer = topic.GetSimpleConsumer(FastOptions());

        var read = await ConsumeAsync(consumer, 100);
        // Armed before producing: a fetch waiting on the broker may answer with the new data at once.
        proxy.Arm();
        await ProduceVariedAsync(producer, "cut", 1, 100);
        read.AddRange(await ConsumeAsync(consumer, 100));

        Assert.That(proxy.Truncated, Is.EqualTo(2));
        AssertEachOffsetOnce(read, Zeros(1), Counts(1, 200));
    }

    [Test]
    public async Task Data_deleted_under_the_consumer_resets_to_the_earliest_offset_and_goes_on()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("retention", partitions: 1);
        using var producer = Producer(cluster, configure: c => c.LingerMs = 0);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("retention", Timeout());
        var value = new byte[100_000];
        for (var i = 0; i < 5; i++)
        {
            await producer.ProduceAsync("retention", new Confluent.Kafka.Message<byte[]?, byte[]?> { Value = value });
        }
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.QueuedMaxMessages = 1));
        var read = await ConsumeAsync(consumer, 2);

        // The mock keeps about 5 MiB per partition: 80 more messages of 100 kB push the log start past the consumer.
        for (var i = 0; i < 80; i++)
        {
            await producer.ProduceAsync("retention", new Confluent.Kafka.Message<byte[]?, byte[]?> { Value = value });
        }
        var earliest = await topic.Partitions[0].EarliestAvailableOffsetAsync(Timeout());
        Assert.That(earliest, Is.GreaterThan(5), "the log start moved up");

        using var cts = new CancellationTokenSource(ConsumeDeadline);
        while (consumer.HeldOffsets[0] < 85)
        {
            read.Add((await consumer.ConsumeAsync(cts.Token))!.Detach());
        }

        var offsets = read.Select(m => m.Offset).ToList();
        Assert.That(offsets, Is.Ordered.Ascending.And.Unique, "nothing delivered twice, nothing out of order");
        var resumed = offsets.SkipWhile(o => o < earliest).ToList();
        Assert.That(resumed, Is.EqualTo(Enumerable.Range((int)earliest, 85 - (int)earliest).Select(i => (long)i)), "from the log start on, every offset");
    }
}
