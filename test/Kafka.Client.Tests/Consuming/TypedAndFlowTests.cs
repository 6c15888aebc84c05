using Confluent.Kafka;
using Kafka.Testing;
using static Kafka.Client.Tests.Consuming.ConsumerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Consuming;

/// <summary>Deserializers, round-robin and back-pressure, enumeration, transactions, message lifetime, options.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class TypedAndFlowTests
{
    [Test]
    public async Task A_typed_consumer_deserializes_keys_values_and_copies_headers()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("typed", 1);
        using (var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).SetLogHandler((_, _) => { }).Build())
        {
            await producer.ProduceAsync("typed", new Message<string?, string> { Key = "k1", Value = "héllo", Headers = [new Header("h", [1, 2])] });
            await producer.ProduceAsync("typed", new Message<string?, string> { Key = null, Value = "world" });
        }
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("typed", Timeout());
        await using var consumer = topic.GetSimpleConsumer(new SimpleConsumerOptions<string?, string?>
        {
            KeyDeserializer = Deserializers.Utf8,
            ValueDeserializer = Deserializers.Utf8,
            ConsumerTimeout = TimeSpan.FromSeconds(2),
        });

        var messages = new List<ConsumedMessage<string?, string?>>();
        await foreach (var message in consumer.WithCancellation(Timeout()))
        {
            messages.Add(message);
            if (messages.Count == 2)
            {
                break;
            }
        }
        Assert.That(messages.Select(m => (m.PartitionKey, m.Value, m.Offset)), Is.EqualTo(new[] { ("k1", "héllo", 0L), ((string?)null, "world", 1L) }));
        Assert.That(messages[0].Headers.Single().Value.ToArray(), Is.EqualTo(new byte[] { 1, 2 }), "headers stay readable later: they are copied");
        Assert.Throws<ArgumentException>(() => topic.GetSimpleConsumer(new SimpleConsumerOptions<string?, string?> { ValueDeserializer = Deserializers.Utf8 }));
    }

    [Test]
    public async Task Partitions_are_served_round_robin_and_buffers_stay_within_QueuedMaxMessages()
    {
        await using var cluster = MockKafkaCluster.Start(2);
        cluster.CreateTopic("rr", partitions: 4, replicationFactor: 1);
        using (var producer = Producer(cluster))
        {
            await ProduceVariedAsync(producer, "rr", 4, 500);
        }
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("rr", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.QueuedMaxMessages = 100));
        // Let the fetch loops fill the buffers, then look at the first messages: every partition is served early.
        await WaitUntilAsync(() => consumer.BufferedMessages is { Count: 4 } buffered && buffered.Values.All(n => n >= 100),
            "every partition's buffer filled to QueuedMaxMessages");
        var first = await ConsumeAsync(consumer, 40);
        Assert.That(first.Select(m => m.PartitionId).Distinct().Count(), Is.EqualTo(4), "no partition starves");
        var counts = first.GroupBy(m => m.PartitionId).Select(g => g.Count()).ToList();
        Assert.That(counts.Max() - counts.Min(), Is.LessThanOrEqualTo(1), "one message per partition in turn");

        var rest = await ConsumeAsync(consumer, 2000 - 40);
        AssertEachOffsetOnce(first.Concat(rest), Enumerable.Range(0, 4).ToDictionary(p => p, _ => 0L), Enumerable.Range(0, 4).ToDictionary(p => p, _ => 500L));
    }

    [Test]
    public async Task Messages_bytes_are_valid_until_the_next_consume_and_detached_copies_for_ever()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("lifetime", 1);
        using (var producer = Producer(cluster, Confluent.Kafka.CompressionType.Lz4))
        {
            await ProduceVariedAsync(producer, "lifetime", 1, 20);
        }
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("lifetime", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions());
        var held = new List<ConsumedMessage>();
        var copies = new List<byte[]>();
        for (var i = 0; i < 20; i++)
        {
            var m = (await consumer.ConsumeAsync(Timeout()))!;
            held.Add(m);
            copies.Add(m.Detach().Value.ToArray());
        }
        await consumer.ConsumeAsync(new CancellationTokenSource(200).Token).AsTask().ContinueWith(_ => { });
        Assert.That(held.Take(19).All(m => !m.IsAvailable), Is.True, "earlier messages were released");
        Assert.Throws<ObjectDisposedException>(() => held[0].Value.ToArray());
        Assert.That(copies[3], Is.EqualTo(held[3].Offset % 7 is 0 or 1 ? Array.Empty<byte>() : Payload(0, 3, 40)));
    }

    [Test]
    public async Task Transaction_markers_are_skipped_and_committed_and_aborted_records_read_uncommitted()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("txn", partitions: 1, replicationFactor: 3);
        using (var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            TransactionalId = "tx-1",
        }).SetLogHandler((_, _) => { }).Build())
        {
            producer.InitTransactions(TimeSpan.FromSeconds(10));
            producer.BeginTransaction();
            await producer.ProduceAsync("txn", new Message<byte[]?, byte[]> { Value = "c1"u8.ToArray() });
            await producer.ProduceAsync("txn", new Message<byte[]?, byte[]> { Value = "c2"u8.ToArray() });
            producer.CommitTransaction(TimeSpan.FromSeconds(10));
            producer.BeginTransaction();
            await producer.ProduceAsync("txn", new Message<byte[]?, byte[]> { Value = "a1"u8.ToArray() });
            producer.AbortTransaction(TimeSpan.FromSeconds(10));
            producer.BeginTransaction();
            await producer.ProduceAsync("txn", new Message<byte[]?, byte[]> { Value = "c3"u8.ToArray() });
            producer.CommitTransaction(TimeSpan.FromSeconds(10));
        }
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("txn", Timeout());
        var end = await topic.Partitions[0].LatestAvailableOffsetAsync(Timeout());
        // librdkafka's mock writes its transaction markers with a zero CRC (its clients do not check CRCs by default).
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.CheckCrcs = false));

        var read = await ConsumeAsync(consumer, 4);
        Assert.That(read.Select(m => System.Text.Encoding.UTF8.GetString(m.Value.Span)), Is.EqualTo(new[] { "c1", "c2", "a1", "c3" }));
        Assert.That(read.Select(m => m.Offset), Is.EqualTo(new long[] { 0, 1, 3, 5 }), "the markers take offsets 2, 4 and 6");
        await WaitUntilAsync(() => consumer.HeldOffsets[0] == end, "the position to move past the last marker");
        Assert.That(end, Is.EqualTo(7));
        await AssertNothingMoreAsync(consumer, TimeSpan.FromMilliseconds(200));
    }

    [Test]
    public void Invalid_options_are_refused_with_every_problem_named()
    {
        var options = new SimpleConsumerOptions
        {
            FetchMessageMaxBytes = 0,
            QueuedMaxMessages = -1,
            AutoCommitEnable = true,
            AutoOffsetReset = (OffsetType)5,
            Partitions = [1, 1],
        };
        var errors = options.Validate();
        Assert.That(string.Join("\n", errors), Does.Contain("FetchMessageMaxBytes").And.Contain("QueuedMaxMessages")
            .And.Contain("AutoCommitEnable").And.Contain("AutoOffsetReset").And.Contain("Partitions"));
        Assert.That(new SimpleConsumerOptions().Validate(), Is.Empty);
    }

    [Test]
    public async Task A_subset_of_partitions_is_consumed_and_unknown_partitions_are_refused()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("subset", 3);
        using (var producer = Producer(cluster))
        {
            await ProduceVariedAsync(producer, "subset", 3, 10);
        }
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("subset", Timeout());
        Assert.Throws<ArgumentException>(() => topic.GetSimpleConsumer(new SimpleConsumerOptions { Partitions = [7] }));
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.Partitions = [2]));
        var read = await ConsumeAsync(consumer, 10);
        Assert.That(read.Select(m => m.PartitionId), Is.All.EqualTo(2));
        await AssertNothingMoreAsync(consumer, TimeSpan.FromMilliseconds(200));
        Assert.That(consumer.Partitions.Keys, Is.EqualTo(new[] { 2 }));
    }

    [Test]
    public async Task ConsumerTimeout_ends_the_enumeration_and_concurrent_consumes_are_refused()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("quiet", 1);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("quiet", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.ConsumerTimeout = TimeSpan.FromMilliseconds(300)));
        var count = 0;
        await foreach (var _ in consumer)
        {
            count++;
        }
        Assert.That(count, Is.Zero);

        using var cts = new CancellationTokenSource();
        var waiting = consumer.ConsumeAsync(cts.Token);
        Assert.Throws<InvalidOperationException>(() => consumer.ConsumeAsync());
        cts.Cancel();
        Assert.That(async () => await waiting, Throws.InstanceOf<OperationCanceledException>().Or.Null);
    }
}
