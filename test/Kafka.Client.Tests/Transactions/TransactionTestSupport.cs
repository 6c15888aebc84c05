using System.Text;
using Confluent.Kafka;
using Kafka.Testing;

namespace Kafka.Client.Tests.Transactions;

internal static class TransactionTestSupport
{
    public const short ProduceKey = 0;
    public const short InitProducerIdKey = 22;
    public const short AddPartitionsToTxnKey = 24;
    public const short AddOffsetsToTxnKey = 25;
    public const short EndTxnKey = 26;
    public const short TxnOffsetCommitKey = 28;

    public static ProducerOptions Options(string transactionalId) => new()
    {
        TransactionalId = transactionalId,
        Linger = TimeSpan.Zero,
        RetryBackoff = TimeSpan.FromMilliseconds(20),
        RetryBackoffMax = TimeSpan.FromMilliseconds(200),
        DeliveryTimeout = TimeSpan.FromSeconds(20),
    };

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static int Count(MockKafkaCluster cluster, short apiKey) => cluster.GetRequests().Count(r => r.ApiKey == apiKey);

    /// <summary>
    /// Reads every message of <paramref name="topic"/> up to its end with a Confluent.Kafka consumer at
    /// <paramref name="isolation"/>, partition by partition (values as text, in offset order per partition).
    /// </summary>
    public static List<string> PeerRead(MockKafkaCluster cluster, string topic, int partitions, IsolationLevel isolation)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "peer-reader",
            IsolationLevel = isolation,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).SetLogHandler((_, _) => { }).Build();
        var values = new List<string>();
        var open = new HashSet<int>(Enumerable.Range(0, partitions));
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var deadline = DateTime.UtcNow + Support.TestSupport.Deadline;
        while (open.Count > 0)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"reading {topic} with Confluent.Kafka did not reach the end of every partition");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }
            if (result.IsPartitionEOF)
            {
                open.Remove(result.Partition.Value);
                continue;
            }
            values.Add(result.Message.Value is null ? "<null>" : Encoding.UTF8.GetString(result.Message.Value));
        }
        return values;
    }
}
