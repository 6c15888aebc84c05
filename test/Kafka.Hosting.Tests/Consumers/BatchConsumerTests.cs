using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Kafka.Client;
using Kafka.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Hosting.Tests.Consumers.ConsumerTestKit;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>AddBatchConsumer: batches of one partition, in order, sized and timed as configured, committed after the handler.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class BatchConsumerTests
{
    [Test]
    public async Task Batches_hold_one_partitions_messages_in_order_at_most_MaxBatchSize_and_are_committed_after_the_handler()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 3, 1);
        var batches = new BatchJournal();
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(batches);
            s.AddKafkaClient().AddBatchConsumer<RecordingBatchHandler>("orders", "billing", o =>
            {
                Fast(o);
                o.MaxBatchSize = 100;
                o.MaxBatchWait = TimeSpan.Zero;
            });
        });
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", 3, 250);

        await WaitForAsync(() => batches.Messages == 750, "every message handled");
        await WaitForAsync(() => Committed(cluster, "orders", 3, "billing").Values.All(o => o == 250), "every batch committed");
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(batches.Problems, Is.Empty);
            Assert.That(batches.All.Select(b => b.Count), Is.All.InRange(1, 100));
            for (var p = 0; p < 3; p++)
            {
                var ofPartition = batches.All.Where(b => b.Partition == p).ToList();
                Assert.That(ofPartition.SelectMany(b => Enumerable.Range((int)b.First, b.Count)), Is.EqualTo(Enumerable.Range(0, 250)), $"partition {p}: every offset once, in order");
            }
        });
    }

    [Test]
    public async Task A_small_batch_waits_MaxBatchWait_to_fill_and_a_full_one_goes_at_once()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 1, 1);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var batches = new BatchJournal();
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(batches);
            s.AddKafkaClient().AddBatchConsumer<RecordingBatchHandler>("orders", "billing", o =>
            {
                FakeClock(o);
                o.MaxBatchSize = 10;
                o.MaxBatchWait = TimeSpan.FromSeconds(5);
            });
        }, time);
        await host.StartAsync();
        await TestHosts.PumpUntilAsync(time, () => Service(host).Consumer?.Assignment.Count == 1, "the member owning the partition");
        var service = Service(host);

        // Three messages, one fetch each: the batch combines three runs.
        for (var i = 0; i < 3; i++)
        {
            await ProduceAsync(cluster, "orders", 1, 1, start: i);
            await WaitForAsync(() => service.Session!.Lanes.Single().Pending == i + 1, $"message {i} waiting in the lane");
        }
        Assert.That(batches.All, Is.Empty, "not handed over before the wait");
        time.Advance(TimeSpan.FromSeconds(5));
        await WaitForAsync(() => batches.All.Count == 1, "the batch handed over once the first message waited MaxBatchWait");
        Assert.That(batches.All.Single(), Is.EqualTo(new BatchRecord(0, 0, 3)));

        // One record batch, so that the twelve arrive in one fetch: had the partition been behind when part of them
        // arrived, that part would have gone at once as a partial batch (see the backlog test below).
        await ProduceAsync(cluster, "orders", 1, 12, start: 3, lingerMs: 1000);
        await WaitForAsync(() => batches.Messages == 13, "a full batch at once, without waiting");
        Assert.That(batches.All[1], Is.EqualTo(new BatchRecord(0, 3, 10)));
        time.Advance(TimeSpan.FromSeconds(5));
        await WaitForAsync(() => batches.Messages == 15, "the rest after the wait");
        Assert.That(batches.All[2], Is.EqualTo(new BatchRecord(0, 13, 2)));
        Assert.That(batches.Problems, Is.Empty);
        await host.StopAsync();
    }

    [Test]
    public async Task A_backlog_goes_in_batches_without_waiting_for_MaxBatchWait_and_a_trickle_after_it_waits_again()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 1, 1);
        // A backlog of three record batches of 7 messages, fetched one at a time (a fetch brings one record batch, and
        // the partition is fetched again only once its messages are taken): the lane gets 7, then 7, then the last 7.
        for (var start = 0; start < 21; start += 7)
        {
            await ProduceAsync(cluster, "orders", 1, 7, start: start);
        }
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var batches = new BatchJournal();
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(batches);
            s.AddKafkaClient().AddBatchConsumer<RecordingBatchHandler>("orders", "billing", o =>
            {
                FakeClock(o);
                o.MaxBatchSize = 10;
                o.MaxBatchWait = TimeSpan.FromSeconds(5);
                o.Consumer.FetchMessageMaxBytes = 1;
                o.Consumer.QueuedMaxMessages = 1;
            });
        }, time);
        await host.StartAsync();
        await TestHosts.PumpUntilAsync(time, () => Service(host).Consumer?.Assignment.Count == 1, "the member owning the partition");
        var service = Service(host);

        // The clock does not move: each partial batch goes because the partition is behind its end (or has just
        // caught up, for the last 7), not because MaxBatchWait passed.
        await WaitForAsync(() => batches.Messages == 21, "the whole backlog handed over without waiting");
        Assert.Multiple(() =>
        {
            Assert.That(batches.All.Select(b => b.Count), Is.All.InRange(1, 10));
            Assert.That(batches.All.SelectMany(b => Enumerable.Range((int)b.First, b.Count)), Is.EqualTo(Enumerable.Range(0, 21)), "every offset once, in order");
            Assert.That(batches.All.Any(b => b.Count < 10), "partial batches among them");
        });

        // Caught up: a message trickling in waits for MaxBatchWait again.
        var handed = batches.All.Count;
        await ProduceAsync(cluster, "orders", 1, 1, start: 21);
        await WaitForAsync(() => service.Session!.Lanes.Single().Pending == 1, "the new message waiting in the lane");
        Assert.That(batches.All, Has.Count.EqualTo(handed), "not handed over before the wait");
        time.Advance(TimeSpan.FromSeconds(5));
        await WaitForAsync(() => batches.Messages == 22, "handed over once it waited MaxBatchWait");
        Assert.That(batches.All[^1], Is.EqualTo(new BatchRecord(0, 21, 1)));
        Assert.That(batches.Problems, Is.Empty);
        await host.StopAsync();
    }

    [Test]
    public async Task A_batch_whose_handler_keeps_failing_is_dead_lettered_whole_and_committed_past()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 2, 1);
        cluster.CreateTopic("orders.dlq", 1, 1);
        var batches = new BatchJournal { FailsAt = (partition, offset) => partition == 1 && offset is >= 10 and < 20 };
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(batches);
            s.AddKafkaClient().AddBatchConsumer<RecordingBatchHandler>("orders", "billing", o =>
            {
                Fast(o);
                o.MaxBatchSize = 10;
                o.MaxBatchWait = TimeSpan.Zero;
                o.HandlerMaxRetryAttempts = 1;
                o.FailurePolicy = HandlerFailurePolicy.DeadLetter;
                o.DeadLetterTopic = "orders.dlq";
            });
        });
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", 2, 40);

        await WaitForAsync(() => Committed(cluster, "orders", 2, "billing").Values.All(o => o == 40), "both partitions committed to the end");
        await host.StopAsync();

        var forwarded = ReadAll(cluster, "orders.dlq");
        var failedBatches = batches.Failed.ToList();
        Assert.That(failedBatches, Is.Not.Empty);
        Assert.That(failedBatches.All(b => b.Partition == 1));
        var failedOffsets = failedBatches.Distinct().SelectMany(b => Enumerable.Range((int)b.First, b.Count)).Select(o => (long)o).ToHashSet();
        Assert.That(forwarded.Select(m => long.Parse(Header(m, DeadLetterHeaderNames.Offset), System.Globalization.CultureInfo.InvariantCulture)).Order(), Is.EqualTo(failedOffsets.Order()),
            "every message of each failed batch forwarded, once");
        Assert.That(forwarded.Select(m => m.Message.Value), Is.EqualTo(failedOffsets.Order().Select(o => $"v1-{o}")), "with the original values");
    }

    private static string Header(ConsumeResult<string, string> message, string key) => Encoding.UTF8.GetString(message.Message.Headers.GetLastBytes(key));

    private static List<ConsumeResult<string, string>> ReadAll(Kafka.Testing.MockKafkaCluster cluster, string topic)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "reader", EnableAutoCommit = false })
            .SetLogHandler((_, _) => { }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var results = new List<ConsumeResult<string, string>>();
        while (consumer.Consume(TimeSpan.FromSeconds(results.Count == 0 ? 10 : 1)) is { } result)
        {
            results.Add(result);
        }
        return results;
    }
}

internal sealed record BatchRecord(int Partition, long First, int Count);

/// <summary>What batch handlers saw: each batch, and any batch that was not one partition's consecutive messages with the values produced.</summary>
internal sealed class BatchJournal
{
    private int _messages;

    public ConcurrentQueue<BatchRecord> Handled { get; } = new();

    public ConcurrentQueue<BatchRecord> Failed { get; } = new();

    public ConcurrentQueue<string> Problems { get; } = new();

    public Func<int, long, bool> FailsAt { get; set; } = (_, _) => false;

    public List<BatchRecord> All => [.. Handled];

    public int Messages => Volatile.Read(ref _messages);

    public void Record(MessageBatch batch)
    {
        var first = batch[0];
        var failing = false;
        for (var i = 0; i < batch.Count; i++)
        {
            var message = batch[i];
            var expected = $"v{message.PartitionId}-{message.Offset}";
            var value = Encoding.UTF8.GetString(message.Value.Span);
            if (message.PartitionId != first.PartitionId || message.Offset != first.Offset + i || value != expected)
            {
                Problems.Enqueue($"batch from {first}: message {i} is {message} '{value}'");
            }
            failing |= FailsAt(message.PartitionId, message.Offset);
        }
        var record = new BatchRecord(first.PartitionId, first.Offset, batch.Count);
        if (failing)
        {
            Failed.Enqueue(record);
            throw new InvalidOperationException($"batch {record} fails");
        }
        Handled.Enqueue(record);
        Interlocked.Add(ref _messages, batch.Count);
    }
}

internal sealed class RecordingBatchHandler(BatchJournal journal) : IKafkaBatchHandler
{
    public Task HandleAsync(MessageBatch batch, CancellationToken cancellationToken)
    {
        Assert.That(batch.IsRetained, Is.True);
        journal.Record(batch);
        return Task.CompletedTask;
    }
}
