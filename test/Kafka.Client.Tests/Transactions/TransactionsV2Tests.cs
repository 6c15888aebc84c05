using Confluent.Kafka;
using Kafka.Client.Protocol;
using Kafka.Client.Tests.Producing;
using Kafka.Testing;
using static Kafka.Client.Tests.Support.TestSupport;
using static Kafka.Client.Tests.Transactions.TransactionTestSupport;

namespace Kafka.Client.Tests.Transactions;

/// <summary>
/// Transactions V2 (KIP-890 part 2), chosen from the transaction coordinator's ApiVersions answer. librdkafka's mock has
/// no V2, so it is chosen against the mock only with <c>MockKafkaCluster.Start(transactionsV2: true)</c>, whose proxies
/// finalize <c>transaction.version</c> 2 and translate the V2 versions for the mock (docs/testing.md); the mock still
/// stores the records and writes the markers, and Confluent.Kafka reads them back.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class TransactionsV2Tests
{
    [Test]
    public async Task Against_the_mock_the_producer_speaks_transactions_V1()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1, recordApiVersions: true);
        cluster.CreateTopic("v1-out", partitions: 1);
        cluster.CreateTopic("v1-in", partitions: 1);
        cluster.StartRequestTracking();
        await using var client = NewClient(cluster);
        await using var producer = client.GetTransactionalProducer(Options("v1-choice"));
        await producer.InitTransactionsAsync(Timeout());
        producer.BeginTransaction();
        await producer.ProduceAsync("v1-out", Bytes("one"), cancellationToken: Timeout());
        await producer.SendOffsetsToTransactionAsync(new Dictionary<TopicAndPartition, long> { [new("v1-in", 0)] = 1 }, new ConsumerGroupMetadata("v1-group"), Timeout());
        await producer.CommitTransactionAsync(Timeout());

        Assert.That(producer.UsesTransactionsV2, Is.False, "the mock finalizes no transaction.version and serves EndTxn v1");
        var requests = cluster.GetRequests();
        Assert.That(requests.Where(r => r.ApiKey == AddPartitionsToTxnKey).Select(r => r.ApiVersion), Is.Not.Empty.And.All.EqualTo((short)1));
        Assert.That(requests.Where(r => r.ApiKey == AddOffsetsToTxnKey).Select(r => r.ApiVersion), Is.EqualTo(new short?[] { 1 }));
        Assert.That(requests.Where(r => r.ApiKey == EndTxnKey).Select(r => r.ApiVersion), Is.EqualTo(new short?[] { 1 }));
        Assert.That(requests.Where(r => r.ApiKey == ProduceKey).Select(r => r.ApiVersion), Is.Not.Empty.And.All.EqualTo((short)10));
    }

    [Test]
    public async Task With_transactions_V2_produce_and_offsets_join_the_transaction_themselves_and_every_end_bumps_the_epoch()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 3, transactionsV2: true);
        cluster.CreateTopic("v2-out", partitions: 2);
        cluster.CreateTopic("v2-in", partitions: 1);
        cluster.SetCoordinator("group", "v2-group", 2);
        cluster.StartRequestTracking();
        await using var client = NewClient(cluster);
        await using var producer = client.GetTransactionalProducer(Options("v2-1"));
        await producer.InitTransactionsAsync(Timeout());
        Assert.That(producer.UsesTransactionsV2, Is.True);

        async Task TransactionAsync(string prefix, long inputOffset, bool commit)
        {
            producer.BeginTransaction();
            for (var i = 0; i < 4; i++)
            {
                await producer.ProduceAsync("v2-out", Bytes($"{prefix}-{i}"), Bytes($"k{i}"), cancellationToken: Timeout());
            }
            await producer.SendOffsetsToTransactionAsync(new Dictionary<TopicAndPartition, long> { [new("v2-in", 0)] = inputOffset }, new ConsumerGroupMetadata("v2-group"), Timeout());
            if (commit)
            {
                await producer.CommitTransactionAsync(Timeout());
            }
            else
            {
                await producer.AbortTransactionAsync(Timeout());
            }
        }
        await TransactionAsync("first", 4, commit: true);
        await TransactionAsync("aborted", 8, commit: false);
        await TransactionAsync("second", 12, commit: true);

        var requests = cluster.GetRequests();
        Assert.That(requests.Count(r => r.ApiKey == AddPartitionsToTxnKey), Is.Zero, "Produce v12 adds the partitions");
        Assert.That(requests.Count(r => r.ApiKey == AddOffsetsToTxnKey), Is.Zero, "TxnOffsetCommit v5 adds the group");
        Assert.That(requests.Where(r => r.ApiKey == ProduceKey).Select(r => r.ApiVersion), Is.Not.Empty.And.All.EqualTo((short)12));
        Assert.That(requests.Where(r => r.ApiKey == TxnOffsetCommitKey).Select(r => (r.ApiVersion, r.BrokerId)), Is.EqualTo(Enumerable.Repeat(((short?)5, 2), 3)));
        Assert.That(requests.Where(r => r.ApiKey == EndTxnKey).Select(r => r.ApiVersion), Is.EqualTo(new short?[] { 5, 5, 5 }));
        Assert.That(requests.Count(r => r.ApiKey == InitProducerIdKey), Is.EqualTo(1), "the EndTxn answers carry the new epochs; the abort needs no InitProducerId");
        Assert.That(cluster.TransactionsV2Failures, Is.Empty);

        // Each transaction's batches carry the epoch after the previous end, numbered from sequence 0 again.
        var stored = (await RawLog.ReadAsync(client, "v2-out", Timeout(), verifyChecksums: false)).Where(r => !r.IsControl).ToList();
        var epochs = new[] { "first", "aborted", "second" }
            .Select(prefix => stored.Where(r => r.Value!.StartsWith(prefix, StringComparison.Ordinal)).Select(r => r.ProducerEpoch).Distinct().Single())
            .ToList();
        Assert.That(epochs, Is.EqualTo(new[] { epochs[0], (short)(epochs[0] + 1), (short)(epochs[0] + 2) }));
        Assert.That(stored.Select(r => r.ProducerId).Distinct().Count(), Is.EqualTo(1));
        Assert.That(stored.Where(r => r.Value!.StartsWith("second", StringComparison.Ordinal)).Min(r => r.BaseSequence), Is.Zero);

        // What Confluent.Kafka sees: the committed messages, and the offsets of the last committed transaction.
        var read = PeerRead(cluster, "v2-out", 2, IsolationLevel.ReadCommitted);
        Assert.That(read.Where(v => !v.StartsWith("aborted", StringComparison.Ordinal)).Order(),
            Is.EqualTo(Enumerable.Range(0, 4).SelectMany(i => new[] { $"first-{i}", $"second-{i}" }).Order()));
        using var group = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "v2-group" })
            .SetLogHandler((_, _) => { }).Build();
        Assert.That(group.Committed([new TopicPartition("v2-in", 0)], Deadline).Single().Offset.Value, Is.EqualTo(12));
    }

    [Test]
    public async Task TRANSACTION_ABORTABLE_on_a_V2_produce_makes_the_transaction_abort_and_the_next_one_commits()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1, transactionsV2: true);
        cluster.CreateTopic("v2-abortable", partitions: 1);
        cluster.StartRequestTracking();
        await using var client = NewClient(cluster);
        await using var producer = client.GetTransactionalProducer(Options("v2-abortable-1"));
        await producer.InitTransactionsAsync(Timeout());
        producer.BeginTransaction();

        // KIP-890: the partition leader could not verify the transaction (Produce v11+ answer TRANSACTION_ABORTABLE).
        cluster.PushRequestErrors(ProduceKey, (short)KafkaErrorCode.TransactionAbortable);
        var failed = Assert.ThrowsAsync<ProduceFailureException>(() => producer.ProduceAsync("v2-abortable", Bytes("refused"), cancellationToken: Timeout()).AsTask());
        Assert.That(failed!.ErrorCode, Is.EqualTo(KafkaErrorCode.TransactionAbortable));
        var commit = Assert.ThrowsAsync<KafkaTransactionException>(() => producer.CommitTransactionAsync(Timeout()));
        Assert.That(commit!.RequiresAbort, Is.True);
        Assert.That(commit.Message, Does.Contain("TRANSACTION_ABORTABLE"));

        await producer.AbortTransactionAsync(Timeout());
        producer.BeginTransaction();
        var report = await producer.ProduceAsync("v2-abortable", Bytes("accepted"), cancellationToken: Timeout());
        await producer.CommitTransactionAsync(Timeout());

        Assert.That(report.Error, Is.Null);
        Assert.That(cluster.GetRequests().Where(r => r.ApiKey == EndTxnKey).Select(r => r.ApiVersion), Is.EqualTo(new short?[] { 5, 5 }),
            "the produce had joined the transaction, so the abort ends it on the coordinator");
        Assert.That(PeerRead(cluster, "v2-abortable", 1, IsolationLevel.ReadCommitted), Does.Contain("accepted"));
        Assert.That(cluster.TransactionsV2Failures, Is.Empty);
    }

    [Test]
    public async Task A_Confluent_transactional_producer_passes_through_the_V2_translation()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1, transactionsV2: true);
        cluster.CreateTopic("v2-peer", partitions: 1);
        using (var peer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers, TransactionalId = "v2-peer-1", LingerMs = 0,
        }).SetLogHandler((_, _) => { }).Build())
        {
            peer.InitTransactions(Deadline);
            peer.BeginTransaction();
            for (var i = 0; i < 3; i++)
            {
                peer.Produce("v2-peer", new Message<byte[], byte[]> { Key = [], Value = Bytes($"peer-{i}") });
            }
            peer.CommitTransaction(Deadline);
        }
        Assert.That(PeerRead(cluster, "v2-peer", 1, IsolationLevel.ReadCommitted), Is.EqualTo(new[] { "peer-0", "peer-1", "peer-2" }));
        Assert.That(cluster.TransactionsV2Failures, Is.Empty);
    }

    [Test]
    public void V2_needs_the_finalized_feature_and_the_V2_versions_of_each_API()
    {
        ApiVersionTable Table(short level, short produce = 12, short endTxn = 5, short offsets = 5) =>
            ApiVersionTable.FromResponse(new ApiVersionsResponse
            {
                ApiKeys =
                [
                    new(ApiKey.Produce, 3, produce), new(ApiKey.EndTxn, 0, endTxn), new(ApiKey.TxnOffsetCommit, 0, offsets),
                    new(ApiKey.AddPartitionsToTxn, 0, 5), new(ApiKey.AddOffsetsToTxn, 0, 4), new(ApiKey.InitProducerId, 0, 5),
                ],
                FinalizedFeaturesEpoch = level < 0 ? -1 : 3,
                FinalizedFeatures = [new FeatureRange("transaction.version", Math.Abs(level), Math.Abs(level))],
            });
        Assert.Multiple(() =>
        {
            Assert.That(Internal.Producing.TransactionManager.AllowsTransactionsV2(Table(2)), Is.True, "Kafka 4.0 with transaction.version=2");
            Assert.That(Internal.Producing.TransactionManager.AllowsTransactionsV2(Table(1)), Is.False, "transaction.version=1 is KIP-890 part 1 only");
            Assert.That(Internal.Producing.TransactionManager.AllowsTransactionsV2(Table(-2)), Is.False, "an unknown features epoch finalizes nothing");
            Assert.That(Internal.Producing.TransactionManager.AllowsTransactionsV2(Table(2, produce: 11)), Is.False);
            Assert.That(Internal.Producing.TransactionManager.AllowsTransactionsV2(Table(2, endTxn: 4)), Is.False);
            Assert.That(Internal.Producing.TransactionManager.AllowsTransactionsV2(Table(2, offsets: 4)), Is.False);
            Assert.That(Internal.Producing.TransactionManager.AllowsTransactionsV2(Table(2).CapBy(BrokerRelease.Parse("3.9")!)), Is.False,
                "BrokerVersion 3.9 caps Produce at v11");
        });
    }
}
