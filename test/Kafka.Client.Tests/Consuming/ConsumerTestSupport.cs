using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Kafka.Testing;

namespace Kafka.Client.Tests.Consuming;

/// <summary>Producing test data with Confluent.Kafka and draining a consumer, with deadlines.</summary>
internal static class ConsumerTestSupport
{
    public static readonly TimeSpan ConsumeDeadline = TimeSpan.FromSeconds(30);

    /// <summary>A message as Confluent.Kafka produced it, to compare with what the consumer read.</summary>
    public sealed record Sent(int Partition, long Offset, byte[]? Key, byte[]? Value, long Timestamp, (string Key, byte[]? Value)[] Headers);

    public static IProducer<byte[]?, byte[]?> Producer(MockKafkaCluster cluster, Confluent.Kafka.CompressionType compression = Confluent.Kafka.CompressionType.None,
        Action<ProducerConfig>? configure = null)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            CompressionType = compression,
            LingerMs = 5,
            MessageTimeoutMs = 15_000,
        };
        configure?.Invoke(config);
        return new ProducerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build();
    }

    /// <summary>
    /// Produces <paramref name="perPartition"/> messages to each partition: keys, null keys, empty and null values,
    /// headers (one with a null value), explicit timestamps; returns them with the offsets the broker gave.
    /// </summary>
    public static async Task<List<Sent>> ProduceVariedAsync(IProducer<byte[]?, byte[]?> producer, string topic, int partitions, int perPartition, int valueSize = 40)
    {
        var baseTime = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds();
        var pending = new List<(Task<DeliveryResult<byte[]?, byte[]?>> Task, Sent Sent)>();
        for (var i = 0; i < perPartition; i++)
        {
            for (var p = 0; p < partitions; p++)
            {
                byte[]? key = i % 5 == 0 ? null : Encoding.UTF8.GetBytes($"key-{p}-{i}");
                byte[]? value = (i % 7) switch
                {
                    0 => null,
                    1 => [],
                    _ => Payload(p, i, valueSize),
                };
                var headers = new Headers();
                (string, byte[]?)[] sentHeaders = i % 3 == 0
                    ? [("trace", Encoding.UTF8.GetBytes($"t{i}")), ("empty", []), ("none", null)]
                    : [];
                foreach (var (k, v) in sentHeaders)
                {
                    headers.Add(k, v);
                }
                var timestamp = baseTime + i;
                var message = new Message<byte[]?, byte[]?>
                {
                    Key = key, Value = value, Headers = headers, Timestamp = new Timestamp(timestamp, TimestampType.CreateTime),
                };
                pending.Add((producer.ProduceAsync(new TopicPartition(topic, p), message), new Sent(p, -1, key, value, timestamp, sentHeaders)));
            }
        }
        var sent = new List<Sent>(pending.Count);
        foreach (var (task, s) in pending)
        {
            var result = await task;
            sent.Add(s with { Offset = result.Offset.Value });
        }
        return sent;
    }

    public static byte[] Payload(int partition, int index, int size)
    {
        var bytes = new byte[size];
        for (var j = 0; j < size; j++)
        {
            bytes[j] = (byte)(partition * 31 + index * 7 + j);
        }
        return bytes;
    }

    /// <summary>Consumes until <paramref name="count"/> messages were read (each detached), failing at the deadline.</summary>
    public static async Task<List<ConsumedMessage>> ConsumeAsync(SimpleConsumer consumer, int count, TimeSpan? deadline = null)
    {
        var messages = new List<ConsumedMessage>(count);
        using var cts = new CancellationTokenSource(deadline ?? ConsumeDeadline);
        try
        {
            while (messages.Count < count)
            {
                var message = await consumer.ConsumeAsync(cts.Token);
                if (message is null)
                {
                    break;
                }
                messages.Add(message.Detach());
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Assert.Fail($"Timed out after {(deadline ?? ConsumeDeadline).TotalSeconds:0} s with {messages.Count} of {count} messages consumed.");
        }
        return messages;
    }

    /// <summary>Asserts that no further message arrives within <paramref name="quiet"/>.</summary>
    public static async Task AssertNothingMoreAsync(SimpleConsumer consumer, TimeSpan quiet)
    {
        using var cts = new CancellationTokenSource(quiet);
        try
        {
            var extra = await consumer.ConsumeAsync(cts.Token);
            Assert.That(extra, Is.Null, $"an unexpected message {extra}");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // Nothing arrived: as expected.
        }
    }

    /// <summary>Every partition's offsets are consecutive from <paramref name="from"/>, each exactly once.</summary>
    public static void AssertEachOffsetOnce(IEnumerable<ConsumedMessage> messages, IReadOnlyDictionary<int, long> from, IReadOnlyDictionary<int, long> to)
    {
        foreach (var group in messages.GroupBy(m => m.PartitionId))
        {
            var offsets = group.Select(m => m.Offset).ToList();
            var expected = Enumerable.Range(0, (int)(to[group.Key] - from[group.Key])).Select(i => from[group.Key] + i).ToList();
            Assert.That(offsets, Is.EqualTo(expected), $"partition {group.Key}: every offset once, in order");
        }
    }

    public static SimpleConsumerOptions FastOptions(Action<SimpleConsumerOptions>? configure = null)
    {
        var options = new SimpleConsumerOptions
        {
            FetchErrorBackoff = TimeSpan.FromMilliseconds(50),
            OffsetsChannelBackoff = TimeSpan.FromMilliseconds(50),
            FetchWaitMax = TimeSpan.FromMilliseconds(50),
        };
        configure?.Invoke(options);
        return options;
    }
}
