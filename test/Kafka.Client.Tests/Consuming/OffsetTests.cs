using Confluent.Kafka;
using Kafka.Testing;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Client.Tests.Consuming.ConsumerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Consuming;

/// <summary>Committed offsets are "next to read", shared with Confluent.Kafka; resets; commit failures raise.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class OffsetTests
{
    private const short OffsetCommitKey = 8;
    private const short FindCoordinatorKey = 10;

    private static async Task<(MockKafkaCluster Cluster, KafkaClient Client, Topic Topic)> StartAsync(string name, int partitions, int perPartition)
    {
        var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic(name, partitions, replicationFactor: 2);
        using (var producer = Producer(cluster))
        {
            await ProduceVariedAsync(producer, name, partitions, perPartition);
        }
        var client = NewClient(cluster);
        return (cluster, client, await client.Topics.GetAsync(name, Timeout()));
    }

    private static IConsumer<byte[], byte[]> PeerConsumer(MockKafkaCluster cluster, string group) =>
        new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = group,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).SetLogHandler((_, _) => { }).Build();

    [Test]
    public async Task A_new_consumer_resumes_at_the_committed_offset()
    {
        var (cluster, client, topic) = await StartAsync("resume", 2, 50);
        await using var _ = cluster;
        await using var __ = client;
        await using (var first = topic.GetSimpleConsumer(FastOptions(o => o.ConsumerGroup = "g")))
        {
            var read = await ConsumeAsync(first, 30);
            await first.CommitOffsetsAsync(Timeout());
            var held = first.HeldOffsets;
            Assert.That(held.Values.Sum(), Is.EqualTo(30));
            Assert.That(await first.FetchOffsetsAsync(Timeout()), Is.EquivalentTo(held), "committed = next offset to read");
            foreach (var p in held.Keys)
            {
                Assert.That(held[p], Is.EqualTo(read.Where(m => m.PartitionId == p).Select(m => m.Offset + 1).DefaultIfEmpty(0).Max()));
            }
        }
        await using var second = topic.GetSimpleConsumer(FastOptions(o => o.ConsumerGroup = "g"));
        var rest = await ConsumeAsync(second, 70);
        Assert.That(rest, Has.Count.EqualTo(70));
        Assert.That(rest.Select(m => (m.PartitionId, m.Offset)).Distinct().Count(), Is.EqualTo(70));
        await AssertNothingMoreAsync(second, TimeSpan.FromMilliseconds(200));
        Assert.That(second.HeldOffsets, Is.EquivalentTo(new Dictionary<int, long> { [0] = 50, [1] = 50 }));
    }

    [Test]
    public async Task Confluent_Kafka_resumes_from_our_commit_and_we_resume_from_its_commit()
    {
        var (cluster, client, topic) = await StartAsync("shared", 2, 40);
        await using var _ = cluster;
        await using var __ = client;

        // Ours commits "next to read"; Confluent.Kafka in the same group starts there.
        await using (var ours = topic.GetSimpleConsumer(FastOptions(o => o.ConsumerGroup = "shared-group")))
        {
            await ConsumeAsync(ours, 25);
            await ours.CommitOffsetsAsync(new Dictionary<int, long> { [0] = 12, [1] = 7 }, Timeout());
        }
        var partitions = new[] { new TopicPartition("shared", 0), new TopicPartition("shared", 1) };
        using (var peer = PeerConsumer(cluster, "shared-group"))
        {
            var committed = peer.Committed(partitions, TimeSpan.FromSeconds(10));
            Assert.That(committed.Select(c => c.Offset.Value), Is.EqualTo(new long[] { 12, 7 }), "Confluent.Kafka reads our committed offsets");
            peer.Assign(partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Stored)));
            var firsts = new Dictionary<int, long>();
            while (firsts.Count < 2)
            {
                var result = peer.Consume(TimeSpan.FromSeconds(10)) ?? throw new AssertionException("Confluent.Kafka read nothing");
                firsts.TryAdd(result.Partition.Value, result.Offset.Value);
            }
            Assert.That(firsts, Is.EquivalentTo(new Dictionary<int, long> { [0] = 12, [1] = 7 }), "Confluent.Kafka resumes at our committed offsets");

            // Confluent.Kafka commits; ours resumes there.
            peer.Commit([new TopicPartitionOffset(partitions[0], 30), new TopicPartitionOffset(partitions[1], 21)]);
            peer.Close();
        }
        await using var resumed = topic.GetSimpleConsumer(FastOptions(o => o.ConsumerGroup = "shared-group"));
        var read = await ConsumeAsync(resumed, (40 - 30) + (40 - 21));
        Assert.That(read.Where(m => m.PartitionId == 0).Select(m => m.Offset), Is.EqualTo(Enumerable.Range(30, 10).Select(i => (long)i)));
        Assert.That(read.Where(m => m.PartitionId == 1).Select(m => m.Offset), Is.EqualTo(Enumerable.Range(21, 19).Select(i => (long)i)));
    }

    [Test]
    public async Task Reset_to_an_offset_makes_it_the_next_message_and_earliest_latest_and_timestamps_work()
    {
        var (cluster, client, topic) = await StartAsync("reset", 2, 20);
        await using var _ = cluster;
        await using var __ = client;
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.ConsumerGroup = "reset-group"));
        await ConsumeAsync(consumer, 10);

        await consumer.ResetOffsetsAsync(new Dictionary<int, long> { [0] = 15, [1] = 3 }, Timeout());
        Assert.That(consumer.HeldOffsets, Is.EquivalentTo(new Dictionary<int, long> { [0] = 15, [1] = 3 }));
        Assert.That(await consumer.FetchOffsetsAsync(Timeout()), Is.EquivalentTo(new Dictionary<int, long> { [0] = 15, [1] = 3 }), "a reset commits, as in pykafka");
        var afterOffset = await ConsumeAsync(consumer, 5 + 17);
        Assert.That(afterOffset.Where(m => m.PartitionId == 0).Select(m => m.Offset).First(), Is.EqualTo(15), "the next message is the one at the offset");
        Assert.That(afterOffset.Where(m => m.PartitionId == 1).Select(m => m.Offset).First(), Is.EqualTo(3));

        await consumer.ResetOffsetsAsync(OffsetType.Earliest, Timeout());
        Assert.That(consumer.HeldOffsets.Values, Is.All.EqualTo(0));
        var again = await ConsumeAsync(consumer, 40);
        AssertEachOffsetOnce(again, new Dictionary<int, long> { [0] = 0, [1] = 0 }, new Dictionary<int, long> { [0] = 20, [1] = 20 });

        await consumer.ResetOffsetsAsync(new Dictionary<int, long> { [0] = 5 }, Timeout());
        await consumer.ResetOffsetsAsync(OffsetType.Latest, [0], Timeout());
        Assert.That(consumer.HeldOffsets[0], Is.EqualTo(20));
        await AssertNothingMoreAsync(consumer, TimeSpan.FromMilliseconds(200));

        // The mock keeps no time index and answers -1 ("no message at or after"): the partition goes to its end.
        await consumer.ResetOffsetsAsync(new Dictionary<int, long> { [0] = 0, [1] = 0 }, Timeout());
        await consumer.ResetOffsetsAsync(DateTimeOffset.UtcNow.AddHours(-1), Timeout());
        Assert.That(consumer.HeldOffsets, Is.EquivalentTo(new Dictionary<int, long> { [0] = 20, [1] = 20 }));
    }

    [Test]
    public async Task Without_a_group_the_consumer_starts_at_AutoOffsetReset_and_cannot_commit()
    {
        var (cluster, client, topic) = await StartAsync("nogroup", 1, 10);
        await using var _ = cluster;
        await using var __ = client;
        await using var latest = topic.GetSimpleConsumer(FastOptions(o => o.AutoOffsetReset = OffsetType.Latest));
        await WaitUntilAsync(() => latest.HeldOffsets.Count == 1, "the start position");
        Assert.That(latest.HeldOffsets[0], Is.EqualTo(10));
        Assert.ThrowsAsync<InvalidOperationException>(() => latest.CommitOffsetsAsync());
        Assert.ThrowsAsync<InvalidOperationException>(() => latest.FetchOffsetsAsync());
    }

    [Test]
    public async Task Reset_on_start_ignores_the_committed_offsets_and_commits_the_new_start()
    {
        var (cluster, client, topic) = await StartAsync("onstart", 1, 10);
        await using var _ = cluster;
        await using var __ = client;
        await using (var first = topic.GetSimpleConsumer(FastOptions(o => o.ConsumerGroup = "s")))
        {
            await first.CommitOffsetsAsync(new Dictionary<int, long> { [0] = 4 }, Timeout());
        }
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o =>
        {
            o.ConsumerGroup = "s";
            o.ResetOffsetOnStart = true;
            o.AutoOffsetReset = OffsetType.Latest;
        }));
        // The start position is set before it is committed: wait for the commit.
        await WaitUntilAsync(async () => (await consumer.FetchOffsetsAsync(Timeout()))[0] == 10, "the new start committed");
        Assert.That(consumer.HeldOffsets[0], Is.EqualTo(10));
    }

    [Test]
    public async Task A_read_only_consumer_does_not_commit_its_start_when_ResetOffsetOnFetch_is_off()
    {
        var (cluster, client, topic) = await StartAsync("readonly", 1, 5);
        await using var _ = cluster;
        await using var __ = client;
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o =>
        {
            o.ConsumerGroup = "ro";
            o.ResetOffsetOnFetch = false;
        }));
        var read = await ConsumeAsync(consumer, 5);
        Assert.That(read[0].Offset, Is.Zero);
        Assert.That((await consumer.FetchOffsetsAsync(Timeout()))[0], Is.EqualTo(-1), "nothing committed");
    }

    [Test]
    public async Task A_commit_that_keeps_failing_raises_after_its_retries()
    {
        var (cluster, client, topic) = await StartAsync("failing", 1, 5);
        await using var _ = cluster;
        await using var __ = client;
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o =>
        {
            o.ConsumerGroup = "f";
            o.OffsetsCommitMaxRetries = 2;
        }));
        await ConsumeAsync(consumer, 5);
        cluster.StartRequestTracking();
        cluster.PushRequestErrors(OffsetCommitKey, 16, 16, 16, 16, 16, 16); // NOT_COORDINATOR, more times than retried

        var error = Assert.ThrowsAsync<KafkaOffsetCommitException>(() => consumer.CommitOffsetsAsync(Timeout()));

        Assert.That(error!.GroupId, Is.EqualTo("f"));
        Assert.That(error.FailedPartitions, Is.EquivalentTo(new Dictionary<int, KafkaErrorCode> { [0] = KafkaErrorCode.NotCoordinator }));
        Assert.That(error.Message, Does.Contain("3 attempts").And.Contain("NOT_COORDINATOR"));
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == OffsetCommitKey), Is.EqualTo(3), "one attempt and two retries");
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == FindCoordinatorKey), Is.GreaterThanOrEqualTo(2), "the coordinator is looked up again");
        cluster.ClearRequestErrors(OffsetCommitKey);
    }

    [Test]
    public async Task A_commit_error_that_retrying_cannot_fix_raises_at_once()
    {
        var (cluster, client, topic) = await StartAsync("metadata", 1, 5);
        await using var _ = cluster;
        await using var __ = client;
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.ConsumerGroup = "m"));
        await ConsumeAsync(consumer, 5);
        cluster.StartRequestTracking();
        cluster.PushRequestErrors(OffsetCommitKey, 12); // OFFSET_METADATA_TOO_LARGE

        var error = Assert.ThrowsAsync<KafkaOffsetCommitException>(() => consumer.CommitOffsetsAsync(Timeout()));

        Assert.That(error!.IsRetriable, Is.False);
        Assert.That(error.FailedPartitions[0], Is.EqualTo(KafkaErrorCode.OffsetMetadataTooLarge));
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == OffsetCommitKey), Is.EqualTo(1));
    }

    [Test]
    public async Task Commits_follow_the_coordinator_when_it_moves()
    {
        var (cluster, client, topic) = await StartAsync("moving", 1, 10);
        await using var _ = cluster;
        await using var __ = client;
        cluster.SetCoordinator("group", "mv", 1);
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.ConsumerGroup = "mv"));
        await ConsumeAsync(consumer, 4);
        await consumer.CommitOffsetsAsync(Timeout());

        cluster.SetCoordinator("group", "mv", 3);
        cluster.StartRequestTracking();
        cluster.PushRequestErrors(OffsetCommitKey, 16); // the old coordinator says NOT_COORDINATOR
        await ConsumeAsync(consumer, 6);
        await consumer.CommitOffsetsAsync(Timeout());

        var commits = cluster.GetRequests().Where(r => r.ApiKey == OffsetCommitKey).ToList();
        Assert.That(commits.Last().BrokerId, Is.EqualTo(3), "the commit that succeeded went to the new coordinator");
        Assert.That((await consumer.FetchOffsetsAsync(Timeout()))[0], Is.EqualTo(10));
    }

    [Test]
    public async Task Auto_commit_runs_on_its_interval_and_on_dispose()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("auto", 1);
        using (var producer = Producer(cluster))
        {
            await ProduceVariedAsync(producer, "auto", 1, 10);
        }
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var client = new KafkaClient(new KafkaClientOptions { Hosts = cluster.BootstrapServers }, timeProvider: time);
        await using var reader = NewClient(cluster);
        var topic = await client.Topics.GetAsync("auto", Timeout());
        var readerTopic = await reader.Topics.GetAsync("auto", Timeout());
        await using var observer = readerTopic.GetSimpleConsumer(FastOptions(o => { o.ConsumerGroup = "auto-g"; o.ResetOffsetOnFetch = false; }));

        var consumer = topic.GetSimpleConsumer(new SimpleConsumerOptions
        {
            ConsumerGroup = "auto-g",
            AutoCommitEnable = true,
            AutoCommitInterval = TimeSpan.FromSeconds(60),
            ResetOffsetOnFetch = false,
        });
        await ConsumeAsync(consumer, 4);
        Assert.That((await observer.FetchOffsetsAsync(Timeout()))[0], Is.EqualTo(-1), "nothing committed before the interval");

        time.Advance(TimeSpan.FromSeconds(61));
        await WaitUntilAsync(async () => (await observer.FetchOffsetsAsync(Timeout()))[0] == 4, "the interval's commit");

        // The whole client runs on the fake clock: the jump may have timed out the fetch in flight, whose retry then
        // waits for the clock too, so it moves on while the test waits for the next messages.
        var after = 0;
        using var deadline = new CancellationTokenSource(ConsumeDeadline);
        while (after < 3)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            attempt.CancelAfter(TimeSpan.FromMilliseconds(200));
            try
            {
                _ = await consumer.ConsumeAsync(attempt.Token) ?? throw new AssertionException("no ConsumerTimeout is set");
                after++;
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                // Not there yet: move the clock again.
            }
        }
        await consumer.DisposeAsync();
        Assert.That((await observer.FetchOffsetsAsync(Timeout()))[0], Is.EqualTo(7), "committed on dispose");
    }

    [Test]
    public async Task After_dispose_nothing_can_be_consumed_and_held_messages_refuse_their_bytes()
    {
        var (cluster, client, topic) = await StartAsync("disposed", 1, 5);
        await using var _ = cluster;
        await using var __ = client;
        var consumer = topic.GetSimpleConsumer(FastOptions());
        var message = await consumer.ConsumeAsync(Timeout());
        var kept = message!.Detach();
        await consumer.DisposeAsync();

        Assert.ThrowsAsync<ObjectDisposedException>(async () => await consumer.ConsumeAsync());
        Assert.ThrowsAsync<ObjectDisposedException>(() => consumer.ResetOffsetsAsync(OffsetType.Earliest));
        Assert.Throws<ObjectDisposedException>(() => message.Value.ToArray());
        Assert.That(message.IsAvailable, Is.False);
        Assert.That(message.Offset, Is.Zero, "plain fields stay readable");
        Assert.That(kept.Value.Length, Is.EqualTo(message.IsValueNull ? 0 : kept.Value.Length));
        Assert.That(kept.IsAvailable, Is.True);
        await consumer.DisposeAsync(); // idempotent
    }
}
