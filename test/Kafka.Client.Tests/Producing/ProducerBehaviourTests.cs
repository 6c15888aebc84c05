using System.Text;
using Kafka.Client.Protocol.Records;
using Kafka.Testing;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Client.Tests.Producing.ProducerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Producing;

/// <summary>The producer's contract against the mock cluster: limits, queueing, lingering, reports, flushing, disposal.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ProducerBehaviourTests
{
    /// <summary>A mock cluster with one topic, a client, and that topic; disposing it disposes both.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        public required MockKafkaCluster Cluster { get; init; }

        public required KafkaClient Client { get; init; }

        public required Topic Topic { get; init; }

        public void Deconstruct(out MockKafkaCluster cluster, out KafkaClient client, out Topic topic) => (cluster, client, topic) = (Cluster, Client, Topic);

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Cluster.DisposeAsync();
        }
    }

    private static async Task<Setup> StartAsync(string topicName, int partitions = 1, int brokers = 1)
    {
        var cluster = MockKafkaCluster.Start(brokers);
        cluster.CreateTopic(topicName, partitions, Math.Min(brokers, 3));
        var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync(topicName, Timeout());
        return new Setup { Cluster = cluster, Client = client, Topic = topic };
    }

    private static FakeTimeProvider Clock() => new(DateTimeOffset.UtcNow);

    // ---- bad input ----

    [Test]
    public async Task A_message_above_MaxRequestSize_fails_alone_and_the_producer_goes_on()
    {
        await using var setup = await StartAsync("large");
        var (cluster, client, topic) = setup;
        await using var producer = topic.GetProducer(new ProducerOptions { MaxRequestSize = 4096 });

        var tooLarge = new byte[4096];
        var error = Assert.Throws<MessageTooLargeException>(() => producer.ProduceAsync(tooLarge));
        Assert.That(error!.MaxRequestSize, Is.EqualTo(4096));
        Assert.That(error.RequestSize, Is.GreaterThan(4096));
        Assert.That(error.Message, Does.Contain("MaxRequestSize"));
        Assert.Throws<MessageTooLargeException>(() => producer.Produce(tooLarge, Bytes("key")));
        Assert.That(producer.QueuedMessages, Is.Zero, "the refused message holds no place in the queue");

        var fits = await producer.ProduceAsync(new byte[3500], cancellationToken: Timeout());
        Assert.That(fits.IsDelivered, Is.True);
        Assert.That(fits.Offset, Is.Zero);
    }

    [Test]
    public async Task Requests_never_exceed_MaxRequestSize()
    {
        await using var setup = await StartAsync("bounded");
        var (cluster, client, topic) = setup;
        await using (var producer = topic.GetProducer(new ProducerOptions { MaxRequestSize = 8192, Linger = TimeSpan.FromMilliseconds(50) }))
        {
            for (var i = 0; i < 200; i++)
            {
                producer.Produce(Encoding.UTF8.GetBytes($"{i:D4}").Concat(new byte[996]).ToArray());
            }
            await producer.FlushAsync(Timeout());
        }
        var log = await RawLog.ReadAsync(client, "bounded", Timeout());
        Assert.That(log, Has.Count.EqualTo(200));
        // Each record takes about 1010 bytes: a request of 8192 bytes with its framing holds at most 7 of them.
        Assert.That(log.Max(r => r.BatchRecordCount), Is.LessThanOrEqualTo(7));
        Assert.That(log.Max(r => r.BatchRecordCount), Is.GreaterThan(1), "batches still fill up to the limit");
    }

    [Test]
    public async Task A_topic_the_cluster_will_not_create_is_refused()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.SetTopicError("missing", 3); // UNKNOWN_TOPIC_OR_PARTITION: as a cluster with auto.create.topics.enable=false
        await using var client = NewClient(cluster);
        var error = Assert.ThrowsAsync<KafkaBrokerException>(() => client.Topics.GetAsync("missing", Timeout()));
        Assert.That(error!.ErrorCode, Is.EqualTo(KafkaErrorCode.UnknownTopicOrPartition));
        Assert.That(error.Message, Does.Contain("auto.create.topics.enable"));
    }

    [Test]
    public async Task Queued_messages_fail_when_their_topic_is_deleted()
    {
        await using var setup = await StartAsync("doomed", partitions: 2);
        var (cluster, client, topic) = setup;
        var clock = Clock();
        await using var producer = new Producer(topic, new ProducerOptions { Linger = TimeSpan.FromMinutes(1) }, clock);
        var pending = Enumerable.Range(0, 10).Select(i => producer.ProduceAsync(Bytes($"m{i}"), cancellationToken: Timeout()).AsTask()).ToList();

        cluster.DeleteTopic("doomed");
        await client.UpdateClusterAsync(Timeout());
        // The batch is sent once it lingered; the broker no longer knows the topic, the producer refreshes its
        // metadata, finds the topic gone and fails what it holds for it.
        clock.Advance(TimeSpan.FromMinutes(1));

        foreach (var task in pending)
        {
            var error = Assert.ThrowsAsync<ProduceFailureException>(() => task);
            Assert.That(error!.ErrorCode, Is.EqualTo(KafkaErrorCode.UnknownTopicOrPartition));
        }
    }

    [Test]
    public async Task Producing_after_dispose_throws_ProducerDisposedException()
    {
        await using var setup = await StartAsync("closed");
        var (cluster, client, topic) = setup;
        var producer = topic.GetProducer();
        await producer.ProduceAsync(Bytes("before"), cancellationToken: Timeout());
        await producer.DisposeAsync();
        await producer.DisposeAsync(); // idempotent

        Assert.Throws<ProducerDisposedException>(() => producer.Produce(Bytes("after")));
        Assert.Throws<ProducerDisposedException>(() => producer.ProduceAsync(Bytes("after")));
        Assert.That(producer.FlushAsync().IsCompletedSuccessfully, Is.True, "nothing left to flush");
    }

    [Test]
    public async Task A_full_queue_throws_when_blocking_is_off()
    {
        await using var setup = await StartAsync("full");
        var (cluster, client, topic) = setup;
        var clock = Clock();
        await using var producer = new Producer(topic, new ProducerOptions { MaxQueuedMessages = 10, BlockOnQueueFull = false, Linger = TimeSpan.FromHours(1), DeliveryTimeout = TimeSpan.FromHours(2) }, clock);
        for (var i = 0; i < 10; i++)
        {
            producer.Produce(Bytes($"m{i}"));
        }
        Assert.That(producer.QueuedMessages, Is.EqualTo(10));
        var error = Assert.Throws<ProducerQueueFullException>(() => producer.Produce(Bytes("one too many")));
        Assert.That(error!.MaxQueuedMessages, Is.EqualTo(10));
        Assert.That(error.IsRetriable, Is.True);
        Assert.Throws<ProducerQueueFullException>(() => producer.ProduceAsync(Bytes("one too many")));

        await producer.FlushAsync(Timeout());
        Assert.That(producer.QueuedMessages, Is.Zero);
        producer.Produce(Bytes("room again"));
    }

    [Test]
    public async Task A_full_queue_blocks_until_there_is_room()
    {
        await using var setup = await StartAsync("blocking");
        var (cluster, client, topic) = setup;
        var clock = Clock();
        await using var producer = new Producer(topic, new ProducerOptions { MaxQueuedMessages = 5, Linger = TimeSpan.FromHours(1), DeliveryTimeout = TimeSpan.FromDays(24) }, clock);
        for (var i = 0; i < 5; i++)
        {
            producer.Produce(Bytes($"m{i}"));
        }
        var blocked = Task.Run(() => producer.Produce(Bytes("blocked")));
        var awaited = producer.ProduceAsync(Bytes("awaited"), cancellationToken: Timeout()).AsTask();
        await WaitUntilAsync(() => Task.FromResult(producer.QueuedMessages == 5 && !blocked.IsCompleted && !awaited.IsCompleted), "both callers to wait");

        // Each tick of the fake clock ends the linger of the open batch: the first five are sent, which makes room
        // for the two waiting callers, whose batch goes on a later tick.
        await WaitUntilAsync(() =>
        {
            clock.Advance(TimeSpan.FromHours(1));
            return Task.FromResult(blocked.IsCompleted && awaited.IsCompleted);
        }, "both waiting callers to get their place");
        await blocked;
        var report = await awaited;
        Assert.That(report.IsDelivered, Is.True);
        await producer.FlushAsync(Timeout());
        Assert.That((await topic.Partitions[0].LatestAvailableOffsetAsync(Timeout())), Is.EqualTo(7));
    }

    [Test]
    public async Task A_message_waiting_for_room_keeps_its_own_copy_of_its_bytes()
    {
        await using var setup = await StartAsync("copied");
        var (cluster, _, topic) = setup;
        var clock = Clock();
        await using var producer = new Producer(topic, new ProducerOptions { MaxQueuedMessages = 1, Linger = TimeSpan.FromHours(1), DeliveryTimeout = TimeSpan.FromDays(24) }, clock);
        var first = producer.ProduceAsync(Bytes("first"), cancellationToken: Timeout()).AsTask();
        var value = Bytes("value");
        var key = Bytes("key");
        var header = Bytes("header");
        var waiting = producer.ProduceAsync(value, key, headers: [new KafkaHeader("h", header)], cancellationToken: Timeout()).AsTask();
        // The caller may reuse its buffers as soon as the call returns.
        value.AsSpan().Fill((byte)'x');
        key.AsSpan().Fill((byte)'x');
        header.AsSpan().Fill((byte)'x');
        // Each tick of the fake clock ends the linger of whatever batch is open: first the one with "first", then
        // the one the waiting message joins once it has room.
        await WaitUntilAsync(() =>
        {
            clock.Advance(TimeSpan.FromHours(1));
            return Task.FromResult(first.IsCompleted && waiting.IsCompleted);
        }, "both messages to be delivered");
        await waiting;

        var read = ReadAll(cluster, "copied").OrderBy(m => m.Offset).ToList();
        Assert.That(read[1].Value, Is.EqualTo(Bytes("value")));
        Assert.That(read[1].Key, Is.EqualTo(Bytes("key")));
        Assert.That(read[1].Headers.Single().Value, Is.EqualTo(Bytes("header")));
    }

    // ---- lingering, flushing, sync ----

    [Test]
    public async Task A_batch_lingers_until_its_time_on_the_injected_clock()
    {
        await using var setup = await StartAsync("linger");
        var (cluster, client, topic) = setup;
        var clock = Clock();
        await using var producer = new Producer(topic, new ProducerOptions { Linger = TimeSpan.FromSeconds(2) }, clock);
        // Flushing does not linger: this gets the producer id and the connection before the clock matters.
        var ready = producer.ProduceAsync(Bytes("ready"), cancellationToken: Timeout()).AsTask();
        await producer.FlushAsync(Timeout());
        Assert.That((await ready).Offset, Is.Zero);

        var lingerEnd = clock.GetTimestamp() + producer.Engine.Ticks(TimeSpan.FromSeconds(2));
        var first = producer.ProduceAsync(Bytes("a"), cancellationToken: Timeout()).AsTask();
        var second = producer.ProduceAsync(Bytes("b"), cancellationToken: Timeout()).AsTask();
        // The sender has seen the batch and, instead of sending it, set its timer for the linger's end.
        await WaitUntilAsync(() => producer.Engine.SenderWakeTimes.Contains(lingerEnd), "the sender to wait for the linger's end");
        clock.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.That(first.IsCompleted || second.IsCompleted, Is.False, "sent before the linger ended");
        Assert.That(await topic.Partitions[0].LatestAvailableOffsetAsync(Timeout()), Is.EqualTo(1));

        clock.Advance(TimeSpan.FromMilliseconds(1));
        var reports = await Task.WhenAll(first, second).WaitAsync(Timeout());
        Assert.That(reports.Select(r => r.Offset), Is.EqualTo(new long[] { 1, 2 }), "one batch, in order");
    }

    [Test]
    public async Task Flush_sends_at_once_and_waits_for_everything_queued_before_it()
    {
        await using var setup = await StartAsync("flush", partitions: 4);
        var (cluster, client, topic) = setup;
        await using var producer = new Producer(topic, new ProducerOptions { Linger = TimeSpan.FromHours(1), DeliveryTimeout = TimeSpan.FromHours(2) }, Clock());
        for (var i = 0; i < 500; i++)
        {
            producer.Produce(Bytes($"m{i}"), Bytes($"k{i}"));
        }
        await producer.FlushAsync(Timeout());
        Assert.That(producer.QueuedMessages, Is.Zero);
        var offsets = await topic.LatestAvailableOffsetsAsync(Timeout());
        Assert.That(offsets.Values.Sum(), Is.EqualTo(500));
    }

    [Test]
    public async Task A_sync_producer_returns_once_delivered_and_throws_when_not()
    {
        await using var setup = await StartAsync("sync");
        var (cluster, client, topic) = setup;
        await using var producer = topic.GetSyncProducer(new ProducerOptions { Linger = TimeSpan.FromHours(1), DeliveryTimeout = TimeSpan.FromHours(2) });
        Assert.That(producer.Options.Sync, Is.True);

        await Task.Run(() =>
        {
            producer.Produce(Bytes("one"));
            producer.Produce(Bytes("two"));
        }).WaitAsync(Timeout());
        Assert.That(await topic.Partitions[0].LatestAvailableOffsetAsync(Timeout()), Is.EqualTo(2), "each produce returned after its delivery, without lingering");

        cluster.PushRequestErrors(0, 87); // INVALID_RECORD: not retriable
        var error = Assert.Throws<ProduceFailureException>(() => producer.Produce(Bytes("refused")));
        Assert.That(error!.ErrorCode, Is.EqualTo(KafkaErrorCode.InvalidRecord));
        Assert.That(error.Partition, Is.Zero);
    }

    // ---- delivery reports ----

    [Test]
    public async Task Delivery_reports_tell_every_outcome_and_hold_their_place_in_the_queue()
    {
        await using var setup = await StartAsync("reports");
        var (cluster, client, topic) = setup;
        await using var producer = topic.GetProducer(new ProducerOptions { DeliveryReports = true, MaxQueuedMessages = 20, BlockOnQueueFull = false });
        var values = Enumerable.Range(0, 20).Select(i => Bytes($"v{i}")).ToArray();
        foreach (var value in values)
        {
            producer.Produce(value, Bytes("key"));
        }
        await producer.FlushAsync(Timeout());
        Assert.That(producer.QueuedMessages, Is.EqualTo(20), "delivered, but the reports are unread");
        Assert.Throws<ProducerQueueFullException>(() => producer.Produce(Bytes("no room")));

        var reports = new List<DeliveryReport>();
        while (reports.Count < 20)
        {
            reports.Add(await producer.DeliveryReports.ReadAsync(Timeout()));
        }
        Assert.That(producer.QueuedMessages, Is.Zero);
        Assert.That(reports.Select(r => r.Offset), Is.EqualTo(Enumerable.Range(0, 20).Select(i => (long)i)));
        Assert.That(reports.Select(r => r.Value!.Value.ToArray()), Is.EqualTo(values));
        Assert.That(reports.Select(r => Encoding.UTF8.GetString(r.Key!.Value.Span)), Is.All.EqualTo("key"));
        Assert.That(reports, Is.All.Matches<DeliveryReport>(r => r.IsDelivered && r.Topic == "reports" && r.Partition == 0));

        cluster.PushRequestErrors(0, 87);
        producer.Produce(Bytes("refused"));
        var failed = await producer.DeliveryReports.ReadAsync(Timeout());
        Assert.That(failed.IsDelivered, Is.False);
        Assert.That(failed.Offset, Is.EqualTo(-1));
        Assert.That(((ProduceFailureException)failed.Error!).ErrorCode, Is.EqualTo(KafkaErrorCode.InvalidRecord));
        Assert.That(failed.Value!.Value.ToArray(), Is.EqualTo(Bytes("refused")));
    }

    [Test]
    public async Task Without_delivery_reports_the_channel_is_not_available()
    {
        await using var setup = await StartAsync("noreports");
        var (cluster, client, topic) = setup;
        await using var producer = topic.GetProducer();
        Assert.Throws<InvalidOperationException>(() => _ = producer.DeliveryReports);
    }

    [Test]
    public async Task Cancelling_ProduceAsync_stops_the_wait_but_the_message_is_still_delivered()
    {
        await using var setup = await StartAsync("cancel");
        var (cluster, client, topic) = setup;
        await using var producer = new Producer(topic, new ProducerOptions { Linger = TimeSpan.FromHours(1), DeliveryTimeout = TimeSpan.FromHours(2) }, Clock());
        using var cts = new CancellationTokenSource();
        var waiting = producer.ProduceAsync(Bytes("still sent"), cancellationToken: cts.Token).AsTask();
        await cts.CancelAsync();
        Assert.That(async () => await waiting, Throws.InstanceOf<OperationCanceledException>());
        await producer.FlushAsync(Timeout());
        Assert.That(await topic.Partitions[0].LatestAvailableOffsetAsync(Timeout()), Is.EqualTo(1));
        Assert.That(producer.QueuedMessages, Is.Zero);
    }

    // ---- broker answers ----

    [Test]
    public async Task A_non_retriable_error_fails_the_batch_with_the_brokers_code_without_retrying()
    {
        await using var setup = await StartAsync("refused");
        var (cluster, client, topic) = setup;
        await using var producer = topic.GetProducer();
        await producer.ProduceAsync(Bytes("warm-up"), cancellationToken: Timeout());
        cluster.StartRequestTracking();
        cluster.PushRequestErrors(0, 87);
        var error = Assert.ThrowsAsync<ProduceFailureException>(async () => await producer.ProduceAsync(Bytes("x"), cancellationToken: Timeout()));
        Assert.That(error!.ErrorCode, Is.EqualTo(KafkaErrorCode.InvalidRecord));
        Assert.That(error.IsRetriable, Is.False);
        Assert.That(error.Message, Does.Contain("INVALID_RECORD"));
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == 0), Is.EqualTo(1));
    }

    [Test]
    public async Task Retries_stop_after_MaxRetries()
    {
        await using var setup = await StartAsync("retries");
        var (cluster, client, topic) = setup;
        await using var producer = topic.GetProducer(new ProducerOptions { MaxRetries = 2, RetryBackoff = TimeSpan.FromMilliseconds(5) });
        await producer.ProduceAsync(Bytes("warm-up"), cancellationToken: Timeout());
        cluster.PushRequestErrors(0, 7, 7, 7, 7); // REQUEST_TIMED_OUT, retriable
        var error = Assert.ThrowsAsync<ProduceFailureException>(async () => await producer.ProduceAsync(Bytes("x"), cancellationToken: Timeout()));
        Assert.That(error!.ErrorCode, Is.EqualTo(KafkaErrorCode.RequestTimedOut));
        Assert.That(error.Message, Does.Contain("3 attempts"));
        cluster.ClearRequestErrors(0);
        Assert.That((await producer.ProduceAsync(Bytes("y"), cancellationToken: Timeout())).IsDelivered, Is.True);
    }

    [Test]
    public async Task Acks_none_reports_delivery_without_offsets()
    {
        await using var setup = await StartAsync("acks0");
        var (cluster, client, topic) = setup;
        await using (var producer = topic.GetProducer(new ProducerOptions { RequiredAcks = RequiredAcks.None }))
        {
            Assert.That(producer.IsIdempotent, Is.False, "idempotence needs acks=all");
            var reports = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => producer.ProduceAsync(Bytes($"m{i}"), cancellationToken: Timeout()).AsTask()));
            Assert.That(reports, Is.All.Matches<DeliveryReport>(r => r.IsDelivered && r.Offset == -1));
        }
        await WaitUntilAsync(async () => await topic.Partitions[0].LatestAvailableOffsetAsync(Timeout()) == 50, "the broker to have all 50");
    }

    [Test]
    public async Task Requests_use_the_negotiated_versions()
    {
        await using var cluster = MockKafkaCluster.Start(1, recordApiVersions: true);
        cluster.CreateTopic("versions", 1, 1);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("versions", Timeout());
        cluster.StartRequestTracking();
        await using (var producer = topic.GetProducer())
        {
            await producer.ProduceAsync(Bytes("x"), cancellationToken: Timeout());
        }
        var requests = cluster.GetRequests();
        Assert.That(requests.Where(r => r.ApiKey == 0).Select(r => r.ApiVersion), Is.All.EqualTo(10), "Produce at the mock's highest");
        Assert.That(requests.Where(r => r.ApiKey == 22).Select(r => r.ApiVersion), Is.EqualTo(new short?[] { 4 }), "one InitProducerId, v4");
    }

    // ---- idempotence on the wire ----

    [Test]
    public async Task Idempotent_batches_carry_the_producer_id_and_consecutive_sequences()
    {
        await using var setup = await StartAsync("sequences", partitions: 2);
        var (cluster, client, topic) = setup;
        await using (var producer = topic.GetProducer(new ProducerOptions { MinQueuedMessages = 7 }))
        {
            Assert.That(producer.IsIdempotent, Is.True);
            for (var i = 0; i < 100; i++)
            {
                producer.Produce(Bytes($"m{i}"), Bytes($"k{i % 5}"));
            }
            await producer.FlushAsync(Timeout());
        }
        var log = await RawLog.ReadAsync(client, "sequences", Timeout());
        Assert.That(log, Has.Count.EqualTo(100));
        Assert.That(log.Select(r => r.ProducerId).Distinct().Single(), Is.GreaterThan(0));
        Assert.That(log.Select(r => r.ProducerEpoch).Distinct().Single(), Is.Zero);
        foreach (var partition in log.GroupBy(r => r.Partition))
        {
            // Record n of a partition carries sequence n: batches are numbered back to back from 0.
            var sequences = partition.OrderBy(r => r.Offset).Select(r => r.BaseSequence + r.IndexInBatch).ToList();
            Assert.That(sequences, Is.EqualTo(Enumerable.Range(0, partition.Count())),
                $"partition {partition.Key}: {string.Join(",", partition.OrderBy(r => r.Offset).Select(r => $"{r.Value}@{r.ProducerEpoch}/{r.BaseSequence}+{r.IndexInBatch}"))}");
            Assert.That(partition.Max(r => r.BatchRecordCount), Is.LessThanOrEqualTo(7), "MinQueuedMessages closes batches");
        }
    }

    [Test]
    public async Task An_out_of_order_sequence_bumps_the_epoch_and_renumbers_from_zero()
    {
        await using var setup = await StartAsync("bump");
        var (cluster, client, topic) = setup;
        await using (var producer = topic.GetProducer())
        {
            await producer.ProduceAsync(Bytes("first"), cancellationToken: Timeout());
            cluster.PushRequestErrors(0, 45); // OUT_OF_ORDER_SEQUENCE_NUMBER with nothing missing before it
            var report = await producer.ProduceAsync(Bytes("second"), cancellationToken: Timeout());
            Assert.That(report.Offset, Is.EqualTo(1));
            await producer.ProduceAsync(Bytes("third"), cancellationToken: Timeout());
        }
        var log = await RawLog.ReadAsync(client, "bump", Timeout());
        Assert.That(log.Select(r => (r.Value, r.BaseSequence + r.IndexInBatch)), Is.EqualTo(new (string?, int)[] { ("first", 0), ("second", 0), ("third", 1) }),
            "sequences restart from 0 under the new identity");
        // A real broker bumps the epoch of the same id (KIP-360); the mock refuses to bump a producer outside
        // transactions (INVALID_PRODUCER_ID_MAPPING), so the producer falls back to a new id, epoch 0.
        Assert.That((log[1].ProducerId, log[1].ProducerEpoch), Is.Not.EqualTo((log[0].ProducerId, log[0].ProducerEpoch)));
        Assert.That((log[2].ProducerId, log[2].ProducerEpoch), Is.EqualTo((log[1].ProducerId, log[1].ProducerEpoch)));
    }

    [Test]
    public async Task A_duplicate_sequence_counts_as_delivered()
    {
        await using var setup = await StartAsync("duplicate");
        var (cluster, client, topic) = setup;
        await using var producer = topic.GetProducer();
        await producer.ProduceAsync(Bytes("first"), cancellationToken: Timeout());
        cluster.PushRequestErrors(0, 46); // DUPLICATE_SEQUENCE_NUMBER: the broker already has this batch
        var report = await producer.ProduceAsync(Bytes("again"), cancellationToken: Timeout());
        Assert.That(report.IsDelivered, Is.True);
        Assert.That(report.Offset, Is.EqualTo(-1), "the broker does not say where the earlier copy is");
    }

    [Test]
    public async Task A_log_append_time_beyond_what_DateTimeOffset_holds_reports_the_create_time()
    {
        // Produce v2 answer: partition 0, no error, base offset 0, log_append_time 7fffffffffffffff.
        await using var broker = new LegacyBroker("legacy", partitions: 1) { LogAppendTime = long.MaxValue };
        await using var client = NewClient(broker.Address, o => o.BrokerVersion = "0.10.2");
        var topic = await client.Topics.GetAsync("legacy", Timeout());
        var created = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);
        await using var producer = topic.GetProducer();

        var report = await producer.ProduceAsync(Bytes("v"), timestamp: created, cancellationToken: Timeout());

        Assert.That(report.IsDelivered, Is.True);
        Assert.That(report.Timestamp, Is.EqualTo(created));
    }

    // ---- record formats for older brokers ----

    [TestCase("0.10.2", (short)2, RecordBatchFormat.MagicV1, CompressionType.None)]
    [TestCase("0.10.2", (short)2, RecordBatchFormat.MagicV1, CompressionType.Lz4)]
    [TestCase("0.10.2", (short)2, RecordBatchFormat.MagicV1, CompressionType.Gzip)]
    [TestCase("0.9.0", (short)1, RecordBatchFormat.MagicV0, CompressionType.Snappy)]
    public async Task Older_brokers_get_legacy_message_sets_through_BrokerVersion(string release, short produceVersion, byte magic, CompressionType codec)
    {
        await using var broker = new LegacyBroker("legacy", partitions: 2);
        await using var client = NewClient(broker.Address, o => o.BrokerVersion = release);
        var topic = await client.Topics.GetAsync("legacy", Timeout());
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        DeliveryReport[] reports;
        await using (var producer = topic.GetProducer(new ProducerOptions { Compression = codec, Partitioner = new RoundRobinPartitioner() }))
        {
            Assert.That(producer.IsIdempotent, Is.False, $"Kafka {release} has no idempotent producer");
            Assert.Throws<KafkaVersionException>(() => producer.Produce(Bytes("x"), headers: [new KafkaHeader("h", Bytes("v"))]));
            reports = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
                producer.ProduceAsync(Bytes($"value {i}"), i % 4 == 0 ? null : Bytes($"key {i}"), start.AddMilliseconds(i), default, Timeout()).AsTask()));
        }

        var produced = broker.Produced.ToList();
        Assert.That(produced.Select(p => p.Version), Is.All.EqualTo(produceVersion));
        // The broker gives offsets in the order sets arrive, per partition.
        var stored = new Dictionary<(int, long), (string? Key, string? Value, long Timestamp)>();
        var next = new long[2];
        foreach (var (_, _, partition, records) in produced)
        {
            using var reader = new RecordSetReader();
            reader.Reset(records, "legacy", partition);
            // An uncompressed set reads as one entry per message; a compressed one as its wrapper.
            var entries = 0;
            while (reader.TryReadBatch(out var batch))
            {
                entries++;
                Assert.That(batch.Magic, Is.EqualTo(magic));
                Assert.That(batch.Compression, Is.EqualTo(codec));
                while (reader.TryReadRecord(out var record))
                {
                    stored[(partition, next[partition]++)] = (
                        record.IsKeyNull ? null : Encoding.UTF8.GetString(record.Key.Span),
                        Encoding.UTF8.GetString(record.Value.Span),
                        record.Timestamp);
                }
            }
            Assert.That(entries, Is.GreaterThan(0));
        }
        Assert.That(stored, Has.Count.EqualTo(20));
        for (var i = 0; i < reports.Length; i++)
        {
            var (key, value, timestamp) = stored[(reports[i].Partition, reports[i].Offset)];
            Assert.That(value, Is.EqualTo($"value {i}"));
            Assert.That(key, Is.EqualTo(i % 4 == 0 ? null : $"key {i}"));
            if (magic == RecordBatchFormat.MagicV1)
            {
                Assert.That(timestamp, Is.EqualTo(start.AddMilliseconds(i).ToUnixTimeMilliseconds()));
            }
        }
    }

    // ---- disposal ----

    [Test]
    public async Task Dispose_fails_what_was_not_delivered_within_the_pending_timeout()
    {
        await using var setup = await StartAsync("pending");
        var (cluster, client, topic) = setup;
        var producer = topic.GetProducer(new ProducerOptions { PendingTimeout = TimeSpan.FromMilliseconds(300) });
        await producer.ProduceAsync(Bytes("delivered"), cancellationToken: Timeout());
        cluster.SetBrokerDown(1);
        var stuck = Enumerable.Range(0, 5).Select(i => producer.ProduceAsync(Bytes($"stuck {i}"), cancellationToken: Timeout()).AsTask()).ToList();

        await producer.DisposeAsync().AsTask().WaitAsync(Timeout());
        foreach (var task in stuck)
        {
            var error = Assert.ThrowsAsync<ProducerDisposedException>(() => task);
            Assert.That(error!.Message, Does.Contain("disposed"));
        }
    }

    [Test]
    public async Task Disposing_the_client_stops_its_producers()
    {
        await using var setup = await StartAsync("client-gone");
        var (_, client, topic) = setup;
        var producer = new Producer(topic, new ProducerOptions { Linger = TimeSpan.FromHours(1), DeliveryTimeout = TimeSpan.FromHours(2) }, Clock());
        var pending = producer.ProduceAsync(Bytes("never sent"), cancellationToken: Timeout()).AsTask();
        await client.DisposeAsync();

        Assert.ThrowsAsync<ProducerDisposedException>(() => pending.WaitAsync(Timeout()));
        Assert.Throws<ProducerDisposedException>(() => producer.Produce(Bytes("after")));
        await producer.DisposeAsync();
    }
}
