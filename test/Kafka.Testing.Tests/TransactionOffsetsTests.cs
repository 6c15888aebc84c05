using Confluent.Kafka;
using Kafka.Testing.Tests.Support;

namespace Kafka.Testing.Tests;

/// <summary>
/// librdkafka's mock answers TxnOffsetCommit without storing the offsets. With <c>completeTransactions</c> the cluster's
/// proxies store a transaction's offsets in the group when its EndTxn commits, and drop them when it aborts. Confluent.Kafka
/// is the transactional client here: the fixture completes what an independent client sends, read back by another.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class TransactionOffsetsTests
{
    [TestCase(true)]
    [TestCase(false)]
    public void A_transactions_offsets_become_the_groups_when_it_commits_and_never_when_it_aborts(bool complete)
    {
        using var cluster = MockKafkaCluster.Start(1, completeTransactions: complete);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        cluster.CreateTopic("orders", 1);
        cluster.CreateTopic("invoices", 1);
        using var peer = Peer.Producer(cluster);
        Peer.ProduceAsync(peer, "orders", "o-1", partition: 0).GetAwaiter().GetResult();
        using var member = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "invoicing",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).SetLogHandler((_, _) => { }).Build();
        member.Subscribe("orders");
        Eventually.WaitUntil(() => member.Consume(TimeSpan.FromMilliseconds(100)) is not null, "the member consuming the order");
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            TransactionalId = "invoicing-0",
        }).SetLogHandler((_, _) => { }).Build();
        producer.InitTransactions(TimeSpan.FromSeconds(20));

        producer.BeginTransaction();
        producer.Produce("invoices", new Message<byte[], byte[]> { Value = "i-1"u8.ToArray() });
        producer.SendOffsetsToTransaction([new TopicPartitionOffset("orders", 0, 5)], member.ConsumerGroupMetadata, TimeSpan.FromSeconds(20));
        producer.CommitTransaction(TimeSpan.FromSeconds(20));
        var afterCommit = member.Committed([new TopicPartition("orders", 0)], TimeSpan.FromSeconds(20)).Single().Offset.Value;

        producer.BeginTransaction();
        producer.SendOffsetsToTransaction([new TopicPartitionOffset("orders", 0, 8)], member.ConsumerGroupMetadata, TimeSpan.FromSeconds(20));
        producer.AbortTransaction(TimeSpan.FromSeconds(20));
        var afterAbort = member.Committed([new TopicPartition("orders", 0)], TimeSpan.FromSeconds(20)).Single().Offset.Value;

        if (complete)
        {
            Assert.That((afterCommit, afterAbort), Is.EqualTo((5L, 5L)));
            Assert.That(cluster.TransactionOffsetFailures, Is.Empty);
        }
        else
        {
            Assert.That((afterCommit, afterAbort), Is.EqualTo((-1001L, -1001L)), "the mock alone stores no offsets of transactions");
        }
    }

    [Test]
    public void It_cannot_be_combined_with_another_proxy()
    {
        Assert.Throws<ArgumentException>(() => MockKafkaCluster.Start(1, guardGroupProtocols: true, completeTransactions: true));
    }
}
