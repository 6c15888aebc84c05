using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using static Kafka.Client.Tests.Groups.GroupTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Balanced;

/// <summary>
/// What a consumer offers code that handles messages after the consume call returns (a hosted consumer's lanes, say):
/// retained batches, stored offsets and the rebalance callbacks, against librdkafka's mock brokers.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class HandOffSeamTests
{
    private const string Topic = "orders";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(40);

    [Test]
    public async Task A_retained_batch_keeps_its_bytes_across_later_consume_calls_until_disposed()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 2, 1);
        await s.ProduceAsync(2, 50);
        await using var client = NewGroupClient(s.Cluster, new Support.CapturingLoggerFactory());
        await client.UpdateClusterAsync(Timeout());
        await using var consumer = client.Topics[Topic].GetBalancedConsumer(s.GroupId, BalancedScenario.Options());

        var first = await TakeAsync(consumer, 10);
        using var retained = first.Retain();
        var expected = retained.Select(m => (m.PartitionId, m.Offset, Value: Encoding.UTF8.GetString(m.Value.Span))).ToList();
        var view = first[0];
        var message = retained[0].ToConsumedMessage();

        // Consume the rest: the consumer's own batch moves on, the retained one does not.
        var taken = 0;
        while (taken < 90)
        {
            taken += (await TakeAsync(consumer, 1000)).Count;
        }
        Assert.Multiple(() =>
        {
            Assert.That(retained.IsRetained, Is.True);
            Assert.That(first.IsRetained, Is.False);
            Assert.That(view.IsAvailable, Is.False, "the consumer's batch was refilled");
            Assert.That(retained.Select(m => (m.PartitionId, m.Offset, Value: Encoding.UTF8.GetString(m.Value.Span))), Is.EqualTo(expected));
            Assert.That(expected.Select(m => m.Value), Is.EqualTo(expected.Select(m => $"v{m.PartitionId}-{m.Offset}")), "each value is the one produced at its offset");
            Assert.That(Encoding.UTF8.GetString(message.Value.Span), Is.EqualTo(expected[0].Value));
        });

        retained.Dispose();
        retained.Dispose(); // idempotent
        Assert.That(retained, Is.Empty);
        // One more consume call lets the consumer give back what it delivered last: the buffers have no holder left.
        await s.ProduceAsync(2, 1, start: 50);
        await TakeAsync(consumer, 1000);
        Assert.Throws<ObjectDisposedException>(() => _ = message.Value, "the message shared the retained batch's bytes");
    }

    [Test]
    public async Task Retaining_a_slice_survives_the_consumer_giving_the_partition_up_and_being_disposed()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 1, 1);
        await s.ProduceAsync(1, 20);
        await using var client = NewGroupClient(s.Cluster, new Support.CapturingLoggerFactory());
        await client.UpdateClusterAsync(Timeout());
        var consumer = client.Topics[Topic].GetBalancedConsumer(s.GroupId, BalancedScenario.Options());

        var batch = await TakeAsync(consumer, 20);
        var half = batch.Count / 2;
        using var slice = batch.Retain(half, batch.Count - half);
        var expected = Enumerable.Range(half, batch.Count - half).Select(i => $"v0-{i}").ToList();
        await consumer.DisposeAsync();

        Assert.That(slice.Select(m => Encoding.UTF8.GetString(m.Value.Span)), Is.EqualTo(expected));
        Assert.That(slice[0].Offset, Is.EqualTo(half));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Retain(1, batch.Count));
    }

    [Test]
    public async Task A_disposed_retained_batch_holds_nothing_and_its_views_stop_reading()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 1, 1);
        await s.ProduceAsync(1, 10);
        await using var client = NewGroupClient(s.Cluster, new Support.CapturingLoggerFactory());
        await client.UpdateClusterAsync(Timeout());
        await using var consumer = client.Topics[Topic].GetBalancedConsumer(s.GroupId, BalancedScenario.Options());
        var batch = await TakeAsync(consumer, 10);
        var retained = batch.Retain();
        var view = retained[0];
        Assert.That(view.IsAvailable, Is.True);
        retained.Dispose();

        Assert.Throws<ObjectDisposedException>(() => retained.Retain(), "a disposed retained batch holds nothing");
        Assert.That(view.IsAvailable, Is.False);
        Assert.Throws<ObjectDisposedException>(() => _ = view.Value);
        Assert.That(batch[0].Value.Length, Is.GreaterThan(0), "the consumer's own batch is still valid until its next call");
    }

    [Test]
    public async Task With_stored_offsets_what_is_committed_is_what_was_stored_not_what_was_handed_out()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 2, 1);
        await s.ProduceAsync(2, 30);
        await using var client = NewGroupClient(s.Cluster, new Support.CapturingLoggerFactory());
        await client.UpdateClusterAsync(Timeout());
        var options = BalancedScenario.Options();
        options.StoreOffsetsOnConsume = false;
        var consumer = client.Topics[Topic].GetBalancedConsumer(s.GroupId, options);

        var taken = 0;
        while (taken < 60)
        {
            taken += (await TakeAsync(consumer, 1000)).Count; // everything handed out, nothing stored yet
        }
        Assert.Multiple(() =>
        {
            Assert.That(consumer.StoreOffset(new TopicAndPartition(Topic, 0), 12), Is.True);
            Assert.That(consumer.StoreOffset(new TopicAndPartition(Topic, 7), 3), Is.False, "not owned");
            Assert.That(consumer.StoredOffsets, Is.EqualTo(new Dictionary<TopicAndPartition, long> { [new(Topic, 0)] = 12 }));
        });
        await consumer.DisposeAsync(); // commits the stored offsets only, and leaves

        var committed = CommittedByPeer(s, 2);
        // Partition 0 at the stored offset; partition 1 at its start (committed when the member found no offset, as
        // ResetOffsetOnFetch says), not at the 30 messages handed out.
        Assert.That(committed, Is.EqualTo(new long[] { 12, 0 }));

        // The next member starts where the stored offsets say.
        await using var next = client.Topics[Topic].GetBalancedConsumer(s.GroupId, BalancedScenario.Options());
        var first = await TakeAsync(next, 1000);
        Assert.That(first.Where(m => m.PartitionId == 0).Select(m => m.Offset).DefaultIfEmpty(12).Min(), Is.EqualTo(12));
        Assert.That(next.CommittedOffsets.GetValueOrDefault(new TopicAndPartition(Topic, 0), -1), Is.EqualTo(12));
    }

    [Test]
    public async Task Auto_commit_commits_stored_offsets_as_they_advance()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 1, 1);
        await s.ProduceAsync(1, 20);
        await using var client = NewGroupClient(s.Cluster, new Support.CapturingLoggerFactory());
        await client.UpdateClusterAsync(Timeout());
        var options = BalancedScenario.Options();
        options.StoreOffsetsOnConsume = false;
        options.AutoCommitEnable = true;
        options.AutoCommitInterval = TimeSpan.FromMilliseconds(50);
        await using var consumer = client.Topics[Topic].GetBalancedConsumer(s.GroupId, options);
        var partition = new TopicAndPartition(Topic, 0);
        await TakeAsync(consumer, 5);

        consumer.StoreOffset(partition, 4);
        await WaitUntilAsync(() => Task.FromResult(consumer.CommittedOffsets.GetValueOrDefault(partition, -1) == 4), "offset 4 committed", Deadline);
        consumer.StoreOffset(partition, 9);
        await WaitUntilAsync(() => Task.FromResult(consumer.CommittedOffsets.GetValueOrDefault(partition, -1) == 9), "offset 9 committed", Deadline);

        Assert.That(CommittedByPeer(s, 1), Is.EqualTo(new long[] { 9 }));
    }

    [Test]
    public async Task Revocation_calls_back_before_committing_so_the_work_in_hand_can_be_finished_and_stored()
    {
        await using var s = new BalancedScenario();
        s.Cluster.CreateTopic(Topic, 4, 1);
        await s.ProduceAsync(4, 10);
        await using var client = NewGroupClient(s.Cluster, new Support.CapturingLoggerFactory());
        await client.UpdateClusterAsync(Timeout());
        var events = new ConcurrentQueue<string>();
        BalancedConsumer? consumer = null;
        var options = BalancedScenario.Options();
        options.StoreOffsetsOnConsume = false;
        options.PartitionsAssigned = (partitions, _) =>
        {
            events.Enqueue($"assigned {partitions.Count}");
            return Task.CompletedTask;
        };
        options.PartitionsRevoked = (partitions, _) =>
        {
            // Finishing the work in hand: everything of partition 0 is handled now.
            events.Enqueue($"revoked {partitions.Count}, 0 stored: {consumer!.StoreOffset(new TopicAndPartition(Topic, 0), 10)}");
            return Task.CompletedTask;
        };
        consumer = client.Topics[Topic].GetBalancedConsumer(s.GroupId, options);
        await TakeAsync(consumer, 1);
        Assert.That(events, Is.EqualTo(new[] { "assigned 4" }));

        await consumer.DisposeAsync();

        Assert.That(events, Is.EqualTo(new[] { "assigned 4", "revoked 4, 0 stored: True" }));
        Assert.That(CommittedByPeer(s, 4), Is.EqualTo(new long[] { 10, 0, 0, 0 }), "what was stored; the rest at its start");
    }

    [Test]
    public void StoreOffset_is_for_consumers_that_do_not_store_on_consume()
    {
        using var cluster = StartCluster(1);
        using var client = new KafkaClient(new KafkaClientOptions { Hosts = cluster.BootstrapServers });
        cluster.CreateTopic(Topic, 1, 1);
        client.UpdateClusterAsync(Timeout()).GetAwaiter().GetResult();
        var consumer = client.Topics[Topic].GetBalancedConsumer("g", BalancedScenario.Options());
        try
        {
            Assert.Throws<InvalidOperationException>(() => consumer.StoreOffset(new TopicAndPartition(Topic, 0), 1));
            Assert.That(consumer.StoredOffsets, Is.Empty);
        }
        finally
        {
            consumer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static async Task<MessageBatch> TakeAsync(BalancedConsumer consumer, int max)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        MessageBatch batch;
        do
        {
            batch = await consumer.ConsumeBatchAsync(max, deadline.Token);
        }
        while (batch.Count == 0);
        return batch;
    }

    /// <summary>The group's committed offsets as Confluent.Kafka reads them.</summary>
    private static long[] CommittedByPeer(BalancedScenario s, int partitions)
    {
        using var peer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = s.Cluster.BootstrapServers,
            GroupId = s.GroupId,
        }).Build();
        var committed = peer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(Topic, p)), TimeSpan.FromSeconds(20));
        return [.. committed.OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value)];
    }
}
