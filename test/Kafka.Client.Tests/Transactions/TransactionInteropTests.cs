using System.Text;
using Confluent.Kafka;
using Kafka.Testing;
using static Kafka.Client.Tests.Consuming.ConsumerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Transactions;

/// <summary>
/// A Confluent.Kafka (librdkafka) transactional producer's output, committed and aborted, read by this client's
/// ReadCommitted consumer through librdkafka's mock. The mock writes the commit and abort markers but lists no aborted
/// transactions in Fetch (so no client can drop the aborted messages here; that is tested from byte-built Fetch
/// responses in ReadCommittedFetchTests) and leaves the markers' CRC at 0, so the consumer reads with CheckCrcs off.
/// </summary>
[TestFixture]
public sealed class TransactionInteropTests
{
    [Test]
    public async Task A_peer_transactional_producers_committed_messages_are_read_in_order_and_its_markers_never_surface()
    {
        await using var cluster = MockKafkaCluster.Start(brokerCount: 1);
        cluster.CreateTopic("peer-tx", partitions: 1);
        using (var peer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            TransactionalId = "peer-tx-1",
            LingerMs = 0,
        }).SetLogHandler((_, _) => { }).Build())
        {
            peer.InitTransactions(Deadline);
            void Transaction(string prefix, int from, int count, bool commit)
            {
                peer.BeginTransaction();
                for (var i = from; i < from + count; i++)
                {
                    peer.Produce("peer-tx", new Message<byte[], byte[]> { Key = [], Value = Encoding.UTF8.GetBytes($"{prefix}-{i}") });
                }
                peer.Flush(Deadline);
                if (commit)
                {
                    peer.CommitTransaction(Deadline);
                }
                else
                {
                    peer.AbortTransaction(Deadline);
                }
            }
            Transaction("c", 0, 5, commit: true);   // offsets 0-4, commit marker at 5
            Transaction("a", 0, 3, commit: false);  // offsets 6-8, abort marker at 9
            Transaction("c", 5, 5, commit: true);   // offsets 10-14, commit marker at 15
        }

        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("peer-tx", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o =>
        {
            o.IsolationLevel = KafkaIsolationLevel.ReadCommitted;
            o.CheckCrcs = false;
        }));
        var read = await ConsumeAsync(consumer, 13);
        await AssertNothingMoreAsync(consumer, TimeSpan.FromMilliseconds(300));

        var values = read.Select(m => Encoding.UTF8.GetString(m.Value.Span)).ToList();
        Assert.That(values.Where(v => v.StartsWith("c-", StringComparison.Ordinal)), Is.EqualTo(Enumerable.Range(0, 10).Select(i => $"c-{i}")));
        Assert.That(read.Select(m => m.Offset), Has.None.AnyOf(5L, 9L, 15L), "transaction markers are not messages");
        Assert.That(read.Where(m => Encoding.UTF8.GetString(m.Value.Span).StartsWith("c-", StringComparison.Ordinal)).Select(m => m.Offset),
            Is.EqualTo(new long[] { 0, 1, 2, 3, 4, 10, 11, 12, 13, 14 }));
    }
}
