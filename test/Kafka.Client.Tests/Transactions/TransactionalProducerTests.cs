using Confluent.Kafka;
using Kafka.Client.Tests.Groups;
using Kafka.Client.Tests.Producing;
using Kafka.Testing;
using static Kafka.Client.Tests.Support.TestSupport;
using static Kafka.Client.Tests.Transactions.TransactionTestSupport;

namespace Kafka.Client.Tests.Transactions;

/// <summary>
/// The transactional producer against librdkafka's mock brokers over TCP: the mock checks the producer id and epoch of
/// every transaction request, tracks which partitions are in the transaction, and writes commit and abort markers
/// into the partitions on EndTxn. What it does not do (fence on a second InitProducerId, keep offsets committed by
/// TxnOffsetCommit, report aborted transactions in Fetch) is listed in docs/testing.md.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class TransactionalProducerTests
{
    [Test]
    public async Task A_committed_transaction_spans_topics_and_a_ReadCommitted_peer_reads_it()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 3);
        cluster.CreateTopic("orders-out", partitions: 2);
        cluster.CreateTopic("audit", partitions: 1);
        cluster.StartRequestTracking();
        await using var client = NewClient(cluster);
        await using var producer = client.GetTransactionalProducer(Options("commit-1"));

        await producer.InitTransactionsAsync(Timeout());
        producer.BeginTransaction();
        Assert.That(producer.InTransaction, Is.True);
        var reports = new List<DeliveryReport>();
        for (var i = 0; i < 10; i++)
        {
            reports.Add(await producer.ProduceAsync("orders-out", Bytes($"invoice-{i}"), Bytes($"k{i}"), cancellationToken: Timeout()));
        }
        for (var i = 0; i < 5; i++)
        {
            producer.Produce("audit", Bytes($"audit-{i}"));
        }
        await producer.CommitTransactionAsync(Timeout());

        Assert.That(producer.InTransaction, Is.False);
        Assert.That(reports.All(r => r.Error is null && r.Offset >= 0), Is.True);
        Assert.That(Count(cluster, InitProducerIdKey), Is.EqualTo(1));
        Assert.That(Count(cluster, AddPartitionsToTxnKey), Is.GreaterThanOrEqualTo(1));
        Assert.That(Count(cluster, EndTxnKey), Is.EqualTo(1));
        Assert.That(PeerRead(cluster, "orders-out", 2, IsolationLevel.ReadCommitted).Order(),
            Is.EqualTo(Enumerable.Range(0, 10).Select(i => $"invoice-{i}").Order()));
        Assert.That(PeerRead(cluster, "audit", 1, IsolationLevel.ReadCommitted), Is.EqualTo(Enumerable.Range(0, 5).Select(i => $"audit-{i}")));

        // The log holds transactional batches of one producer id and epoch, followed by the coordinator's commit markers.
        var stored = await RawLog.ReadAsync(client, "audit", Timeout(), verifyChecksums: false);
        Assert.That(stored.Select(r => (r.ProducerId, r.ProducerEpoch)).Distinct().Count(), Is.EqualTo(1));
        Assert.That(stored.All(r => r.IsTransactional && r.ProducerId >= 0), Is.True);
        Assert.That(stored.Select(r => r.IsControl), Is.EqualTo(Enumerable.Repeat(false, 5).Append(true)), "five messages, then the commit marker");
    }

    [Test]
    public async Task After_an_abort_the_producer_commits_the_next_transaction_with_a_new_epoch()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        cluster.CreateTopic("abort-then-commit", partitions: 1);
        cluster.StartRequestTracking();
        await using var client = NewClient(cluster);
        await using var producer = client.GetTransactionalProducer(Options("abort-1"));
        await producer.InitTransactionsAsync(Timeout());

        producer.BeginTransaction();
        for (var i = 0; i < 3; i++)
        {
            await producer.ProduceAsync("abort-then-commit", Bytes($"aborted-{i}"), cancellationToken: Timeout());
        }
        await producer.AbortTransactionAsync(Timeout());
        producer.BeginTransaction();
        for (var i = 0; i < 3; i++)
        {
            await producer.ProduceAsync("abort-then-commit", Bytes($"committed-{i}"), cancellationToken: Timeout());
        }
        await producer.CommitTransactionAsync(Timeout());

        Assert.That(Count(cluster, EndTxnKey), Is.EqualTo(2));
        Assert.That(Count(cluster, InitProducerIdKey), Is.EqualTo(2), "the abort bumps the epoch");
        var stored = await RawLog.ReadAsync(client, "abort-then-commit", Timeout(), verifyChecksums: false);
        Assert.That(stored.Select(r => r.IsControl), Is.EqualTo(new[] { false, false, false, true, false, false, false, true }),
            "each transaction's messages are followed by its marker");
        Assert.That((stored[3].Key, stored[7].Key), Is.EqualTo(("\0\0\0\0", "\0\0\0\u0001")), "an abort marker (type 0), then a commit marker (type 1)");
        var aborted = stored.Where(r => !r.IsControl && r.Value!.StartsWith("aborted", StringComparison.Ordinal)).ToList();
        var committed = stored.Where(r => !r.IsControl && r.Value!.StartsWith("committed", StringComparison.Ordinal)).ToList();
        Assert.That(aborted.Select(r => r.Value), Is.EqualTo(new[] { "aborted-0", "aborted-1", "aborted-2" }));
        Assert.That(committed.Select(r => r.Value), Is.EqualTo(new[] { "committed-0", "committed-1", "committed-2" }));
        Assert.That(committed[0].ProducerId, Is.EqualTo(aborted[0].ProducerId));
        Assert.That(committed[0].ProducerEpoch, Is.EqualTo(aborted[0].ProducerEpoch + 1));
        Assert.That(committed[0].BaseSequence, Is.EqualTo(0), "a new epoch numbers the partition from 0");
    }

    [Test]
    public async Task Messages_not_sent_when_the_transaction_aborts_fail_with_the_reason()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        cluster.CreateTopic("lingering", partitions: 1);
        await using var client = NewClient(cluster);
        var options = Options("linger-1");
        options.Linger = TimeSpan.FromMinutes(1);
        options.DeliveryTimeout = TimeSpan.FromMinutes(2);
        await using var producer = client.GetTransactionalProducer(options);
        await producer.InitTransactionsAsync(Timeout());

        producer.BeginTransaction();
        var pending = Enumerable.Range(0, 4).Select(i => producer.ProduceAsync("lingering", Bytes($"m{i}")).AsTask()).ToList();
        await producer.AbortTransactionAsync(Timeout());

        foreach (var task in pending)
        {
            var error = Assert.ThrowsAsync<ProduceFailureException>(() => task);
            Assert.That(error!.Message, Does.Contain("aborted"));
        }
        producer.BeginTransaction();
        var report = producer.ProduceAsync("lingering", Bytes("after"));
        await producer.CommitTransactionAsync(Timeout());
        Assert.That((await report).Error, Is.Null);
    }

    [Test]
    public async Task Fenced_on_commit_the_producer_refuses_further_work()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        cluster.CreateTopic("fenced", partitions: 1);
        await using var client = NewClient(cluster);
        await using var producer = client.GetTransactionalProducer(Options("fence-1"));
        await producer.InitTransactionsAsync(Timeout());
        producer.BeginTransaction();
        await producer.ProduceAsync("fenced", Bytes("before"), cancellationToken: Timeout());

        cluster.PushRequestErrors(EndTxnKey, (short)KafkaErrorCode.ProducerFenced);
        var error = Assert.ThrowsAsync<ProducerFencedException>(() => producer.CommitTransactionAsync(Timeout()));
        Assert.That(error!.ErrorCode, Is.EqualTo(KafkaErrorCode.ProducerFenced));
        Assert.That(error.IsRetriable, Is.False);
        Assert.That(error.Message, Does.Contain("fence-1"));

        Assert.Throws<ProducerFencedException>(producer.BeginTransaction);
        Assert.ThrowsAsync<ProducerFencedException>(() => producer.ProduceAsync("fenced", Bytes("after")).AsTask());
        Assert.ThrowsAsync<ProducerFencedException>(() => producer.AbortTransactionAsync(Timeout()));
    }

    [Test]
    public async Task An_old_epoch_on_produce_fences_the_producer_and_fails_the_message()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        cluster.CreateTopic("fenced-produce", partitions: 1);
        await using var client = NewClient(cluster);
        await using var producer = client.GetTransactionalProducer(Options("fence-2"));
        await producer.InitTransactionsAsync(Timeout());
        producer.BeginTransaction();

        cluster.PushRequestErrors(ProduceKey, (short)KafkaErrorCode.InvalidProducerEpoch);
        var failed = Assert.ThrowsAsync<ProduceFailureException>(() => producer.ProduceAsync("fenced-produce", Bytes("m"), cancellationToken: Timeout()).AsTask());
        Assert.That(failed!.ErrorCode, Is.EqualTo(KafkaErrorCode.InvalidProducerEpoch));
        Assert.ThrowsAsync<ProducerFencedException>(() => producer.CommitTransactionAsync(Timeout()));
    }

    [Test]
    public async Task An_abortable_error_leaves_the_producer_usable_after_the_abort()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        cluster.CreateTopic("abortable", partitions: 1);
        await using var client = NewClient(cluster);
        await using var producer = client.GetTransactionalProducer(Options("abortable-1"));
        await producer.InitTransactionsAsync(Timeout());
        producer.BeginTransaction();

        // A non-retriable refusal of one batch: the transaction can no longer commit.
        cluster.PushRequestErrors(ProduceKey, (short)KafkaErrorCode.InvalidRecord);
        Assert.ThrowsAsync<ProduceFailureException>(() => producer.ProduceAsync("abortable", Bytes("refused"), cancellationToken: Timeout()).AsTask());
        var commit = Assert.ThrowsAsync<KafkaTransactionException>(() => producer.CommitTransactionAsync(Timeout()));
        Assert.That(commit!.RequiresAbort, Is.True);
        Assert.That(commit.Message, Does.Contain("INVALID_RECORD"));
        Assert.ThrowsAsync<KafkaTransactionException>(() => producer.ProduceAsync("abortable", Bytes("refused too")).AsTask());

        await producer.AbortTransactionAsync(Timeout());
        producer.BeginTransaction();
        var report = await producer.ProduceAsync("abortable", Bytes("accepted"), cancellationToken: Timeout());
        await producer.CommitTransactionAsync(Timeout());
        Assert.That(report.Error, Is.Null);
        Assert.That(PeerRead(cluster, "abortable", 1, IsolationLevel.ReadCommitted), Does.Contain("accepted"));
    }

    [Test]
    public async Task A_transaction_the_coordinator_ended_is_reported_and_aborted_and_a_refused_timeout_names_the_option()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        cluster.CreateTopic("timed-out", partitions: 1);
        await using var client = NewClient(cluster);

        var refused = client.GetTransactionalProducer(Options("timeout-0"));
        cluster.PushRequestErrors(InitProducerIdKey, (short)KafkaErrorCode.InvalidTransactionTimeout);
        var init = Assert.ThrowsAsync<KafkaTransactionException>(() => refused.InitTransactionsAsync(Timeout()));
        Assert.That(init!.RequiresAbort, Is.False);
        Assert.That(init.Message, Does.Contain("TransactionTimeout"));
        await refused.DisposeAsync();

        await using var producer = client.GetTransactionalProducer(Options("timeout-1"));
        await producer.InitTransactionsAsync(Timeout());
        producer.BeginTransaction();
        await producer.ProduceAsync("timed-out", Bytes("late"), cancellationToken: Timeout());
        cluster.PushRequestErrors(EndTxnKey, (short)KafkaErrorCode.TransactionAbortable);
        var commit = Assert.ThrowsAsync<KafkaTransactionException>(() => producer.CommitTransactionAsync(Timeout()));
        Assert.That(commit!.RequiresAbort, Is.True);
        Assert.That(commit.ErrorCode, Is.EqualTo(KafkaErrorCode.TransactionAbortable));
        Assert.That(commit.Message, Does.Contain("TransactionTimeout"));

        await producer.AbortTransactionAsync(Timeout());
        producer.BeginTransaction();
        await producer.ProduceAsync("timed-out", Bytes("next"), cancellationToken: Timeout());
        await producer.CommitTransactionAsync(Timeout());
    }

    [Test]
    public async Task Retriable_coordinator_errors_are_retried_and_a_moved_coordinator_is_found_again()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 3);
        cluster.CreateTopic("moving", partitions: 3);
        cluster.SetCoordinator("transaction", "moving-1", 1);
        cluster.StartRequestTracking();
        await using var client = NewClient(cluster);
        await using var producer = client.GetTransactionalProducer(Options("moving-1"));
        cluster.PushRequestErrors(InitProducerIdKey, (short)KafkaErrorCode.CoordinatorLoadInProgress, (short)KafkaErrorCode.ConcurrentTransactions);
        await producer.InitTransactionsAsync(Timeout());
        producer.BeginTransaction();
        for (var i = 0; i < 6; i++)
        {
            await producer.ProduceAsync("moving", Bytes($"m{i}"), Bytes($"k{i}"), cancellationToken: Timeout());
        }

        // The coordinator's broker goes down and another takes over the transactional id mid-transaction.
        cluster.SetBrokerDown(1);
        cluster.SetCoordinator("transaction", "moving-1", 2);
        cluster.PushRequestErrors(EndTxnKey, (short)KafkaErrorCode.ConcurrentTransactions);
        await producer.CommitTransactionAsync(Timeout());

        var endTxn = cluster.GetRequests().Where(r => r.ApiKey == EndTxnKey).ToList();
        Assert.That(endTxn.Last().BrokerId, Is.EqualTo(2));
        Assert.That(Count(cluster, InitProducerIdKey), Is.EqualTo(3), "two retriable refusals, then success");
        cluster.SetBrokerUp(1);
        Assert.That(PeerRead(cluster, "moving", 3, IsolationLevel.ReadCommitted), Has.Count.EqualTo(6));
    }

    [Test]
    public async Task Offsets_sent_to_the_transaction_go_to_the_group_coordinator_with_the_member_metadata()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 3);
        cluster.CreateTopic("offsets-in", partitions: 2);
        cluster.CreateTopic("offsets-out", partitions: 1);
        cluster.SetCoordinator("group", "pipeline", 3);
        cluster.StartRequestTracking();
        await using var client = NewClient(cluster);
        await using var producer = client.GetTransactionalProducer(Options("offsets-1"));
        await producer.InitTransactionsAsync(Timeout());
        producer.BeginTransaction();
        await producer.ProduceAsync("offsets-out", Bytes("out"), cancellationToken: Timeout());
        var offsets = new Dictionary<TopicAndPartition, long> { [new("offsets-in", 0)] = 5, [new("offsets-in", 1)] = 9 };
        await producer.SendOffsetsToTransactionAsync(offsets, new ConsumerGroupMetadata("pipeline"), Timeout());
        await producer.SendOffsetsToTransactionAsync(offsets, new ConsumerGroupMetadata("pipeline"), Timeout());
        await producer.CommitTransactionAsync(Timeout());

        Assert.That(Count(cluster, AddOffsetsToTxnKey), Is.EqualTo(1), "the group joins the transaction once");
        var commits = cluster.GetRequests().Where(r => r.ApiKey == TxnOffsetCommitKey).ToList();
        Assert.That(commits, Has.Count.EqualTo(2));
        Assert.That(commits.All(r => r.BrokerId == 3), Is.True, "TxnOffsetCommit goes to the group's coordinator");
    }

    [Test]
    public async Task A_balanced_consumer_gives_its_group_metadata_to_a_consume_transform_produce_transaction()
    {
        using var cluster = GroupTestSupport.StartCluster(1);
        cluster.CreateTopic("ctp-in", 1, 1);
        cluster.CreateTopic("ctp-out", 1, 1);
        using (var peer = PeerProducer(cluster))
        {
            for (var i = 0; i < 3; i++)
            {
                await peer.ProduceAsync("ctp-in", new Message<byte[], byte[]> { Key = [], Value = Bytes($"order-{i}") });
            }
        }
        await using var client = NewClient(cluster);
        var input = await client.Topics.GetAsync("ctp-in", Timeout());
        await using var consumer = input.GetBalancedConsumer("ctp-group", new BalancedConsumerOptions { ConsumerTimeout = Deadline });
        Assert.That(consumer.GroupMetadata, Is.EqualTo(new ConsumerGroupMetadata("ctp-group", -1, consumer.MemberId)), "before the first join");
        await using var producer = client.GetTransactionalProducer(Options("ctp-1"));
        await producer.InitTransactionsAsync(Timeout());

        producer.BeginTransaction();
        var offsets = new Dictionary<TopicAndPartition, long>();
        for (var i = 0; i < 3; i++)
        {
            var message = await consumer.ConsumeAsync(Timeout());
            var text = System.Text.Encoding.UTF8.GetString(message!.Value.Span);
            await producer.ProduceAsync("ctp-out", Bytes(text.Replace("order", "invoice", StringComparison.Ordinal)), cancellationToken: Timeout());
            offsets[new TopicAndPartition(message.Topic, message.PartitionId)] = message.Offset + 1;
        }
        var metadata = consumer.GroupMetadata;
        await producer.SendOffsetsToTransactionAsync(offsets, metadata, Timeout());
        await producer.CommitTransactionAsync(Timeout());

        Assert.That(metadata.GroupId, Is.EqualTo("ctp-group"));
        Assert.That(metadata.GenerationId, Is.GreaterThan(0));
        Assert.That(metadata.MemberId, Is.EqualTo(consumer.MemberId).And.Not.Empty);
        Assert.That(metadata.GroupInstanceId, Is.Null);
        Assert.That(PeerRead(cluster, "ctp-out", 1, IsolationLevel.ReadCommitted), Is.EqualTo(new[] { "invoice-0", "invoice-1", "invoice-2" }));
    }

    [Test]
    public async Task Disposing_with_an_open_transaction_aborts_it()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        cluster.CreateTopic("crash", partitions: 1);
        cluster.StartRequestTracking();
        await using var client = NewClient(cluster);
        var producer = client.GetTransactionalProducer(Options("crash-1"));
        await producer.InitTransactionsAsync(Timeout());
        producer.BeginTransaction();
        await producer.ProduceAsync("crash", Bytes("never committed"), cancellationToken: Timeout());
        await producer.DisposeAsync();

        Assert.That(Count(cluster, EndTxnKey), Is.EqualTo(1), "the open transaction was ended (aborted) on disposal");
        Assert.ThrowsAsync<ProducerDisposedException>(() => producer.CommitTransactionAsync());

        // A successor with the same transactional id starts cleanly.
        await using var successor = client.GetTransactionalProducer(Options("crash-1"));
        await successor.InitTransactionsAsync(Timeout());
        successor.BeginTransaction();
        await successor.ProduceAsync("crash", Bytes("committed"), cancellationToken: Timeout());
        await successor.CommitTransactionAsync(Timeout());
    }

    [Test]
    public async Task Calls_out_of_order_are_refused_with_what_to_do()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        await using var client = NewClient(cluster);
        await using var producer = client.GetTransactionalProducer(Options("order-1"));

        Assert.That(Assert.Throws<InvalidOperationException>(producer.BeginTransaction)!.Message, Does.Contain("InitTransactionsAsync"));
        Assert.That(Assert.ThrowsAsync<InvalidOperationException>(() => producer.ProduceAsync("t", Bytes("x")).AsTask())!.Message,
            Does.Contain("InitTransactionsAsync"));
        await producer.InitTransactionsAsync(Timeout());
        Assert.That(Assert.ThrowsAsync<InvalidOperationException>(() => producer.ProduceAsync("t", Bytes("x")).AsTask())!.Message,
            Does.Contain("BeginTransaction"));
        Assert.ThrowsAsync<InvalidOperationException>(() => producer.CommitTransactionAsync(Timeout()));
        producer.BeginTransaction();
        Assert.Throws<InvalidOperationException>(producer.BeginTransaction);
        await producer.CommitTransactionAsync(Timeout()); // an empty transaction commits without asking the coordinator
    }
}
