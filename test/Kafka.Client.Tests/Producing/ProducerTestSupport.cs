using System.Diagnostics;
using Confluent.Kafka;
using Kafka.Testing;

namespace Kafka.Client.Tests.Producing;

/// <summary>A message as an independent consumer (Confluent.Kafka) read it back.</summary>
internal sealed record PeerMessage(int Partition, long Offset, byte[]? Key, byte[]? Value, long TimestampMs, Confluent.Kafka.TimestampType TimestampType,
    (string Key, byte[]? Value)[] Headers);

internal static class ProducerTestSupport
{
    /// <summary>
    /// Reads every message of <paramref name="topic"/> with Confluent.Kafka, from the beginning of each partition up to
    /// its high watermark at the time of the call (partitions assigned explicitly: no group join delay).
    /// </summary>
    public static List<PeerMessage> ReadAll(MockKafkaCluster cluster, string topic, TimeSpan? deadline = null)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "peer-reader",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = 20,
        }).SetLogHandler((_, _) => { }).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers })
            .SetLogHandler((_, _) => { }).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        var partitions = metadata.Topics.Single().Partitions.Select(p => p.PartitionId).ToList();
        var ends = new Dictionary<int, long>();
        var assign = new List<TopicPartitionOffset>();
        foreach (var p in partitions)
        {
            var marks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
            ends[p] = marks.High.Value;
            if (marks.High.Value > marks.Low.Value)
            {
                assign.Add(new TopicPartitionOffset(topic, p, marks.Low));
            }
        }
        var result = new List<PeerMessage>();
        if (assign.Count == 0)
        {
            return result;
        }
        consumer.Assign(assign);
        var pending = new HashSet<int>(assign.Select(a => a.Partition.Value));
        var watch = Stopwatch.StartNew();
        var limit = deadline ?? TimeSpan.FromSeconds(30);
        while (pending.Count > 0)
        {
            if (watch.Elapsed > limit)
            {
                Assert.Fail($"Reading {topic} back timed out; partitions not finished: {string.Join(",", pending)}.");
            }
            var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (record is null)
            {
                continue;
            }
            var p = record.Partition.Value;
            if (record.IsPartitionEOF)
            {
                if (record.Offset.Value >= ends[p])
                {
                    pending.Remove(p);
                }
                continue;
            }
            var message = record.Message;
            result.Add(new PeerMessage(p, record.Offset.Value, message.Key, message.Value, message.Timestamp.UnixTimestampMs, message.Timestamp.Type,
                message.Headers?.Select(h => (h.Key, (byte[]?)h.GetValueBytes())).ToArray() ?? []));
            if (record.Offset.Value + 1 >= ends[p])
            {
                pending.Remove(p);
            }
        }
        return result;
    }

    public static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
