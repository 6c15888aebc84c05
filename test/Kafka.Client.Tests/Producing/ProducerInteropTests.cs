using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Kafka.Testing;
using static Kafka.Client.Tests.Producing.ProducerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Producing;

/// <summary>What this producer writes, read back by an independent client (Confluent.Kafka) byte for byte.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ProducerInteropTests
{
    private sealed record Sent(byte[]? Key, byte[]? Value, KafkaHeader[] Headers, long TimestampMs);

    /// <summary>Keys and values of every shape: null, empty, short, long, compressible, random; headers with null, empty and UTF-8 keys.</summary>
    private static List<Sent> Messages(int count, int seed)
    {
        var random = new Random(seed);
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;
        var result = new List<Sent>(count);
        for (var i = 0; i < count; i++)
        {
            byte[]? key = (i % 10) switch
            {
                0 => null,
                1 => [],
                2 => Encoding.UTF8.GetBytes($"key-{i}"),
                _ => RandomBytes(random, random.Next(1, 40)),
            };
            byte[]? value = (i % 20) switch
            {
                0 => null, // a tombstone
                1 => [],
                2 => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat($"compressible {i} ", 100))),
                _ => RandomBytes(random, random.Next(1, 2000)),
            };
            var headers = new KafkaHeader[i % 4];
            for (var h = 0; h < headers.Length; h++)
            {
                headers[h] = (h % 3) switch
                {
                    0 => new KafkaHeader($"h{h}", RandomBytes(random, random.Next(0, 30))),
                    1 => KafkaHeader.WithNullValue("ключ-null"),
                    _ => new KafkaHeader("empty", ReadOnlyMemory<byte>.Empty),
                };
            }
            result.Add(new Sent(key, value, headers, start + (i * 7)));
        }
        return result;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    [TestCase(Kafka.Client.CompressionType.None)]
    [TestCase(Kafka.Client.CompressionType.Gzip)]
    [TestCase(Kafka.Client.CompressionType.Snappy)]
    [TestCase(Kafka.Client.CompressionType.Lz4)]
    [TestCase(Kafka.Client.CompressionType.Zstd)]
    public async Task Confluent_reads_back_every_key_value_header_and_timestamp(Kafka.Client.CompressionType codec)
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("interop", partitions: 3, replicationFactor: 3);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("interop", Timeout());
        var sent = Messages(400, seed: (int)codec);

        DeliveryReport[] reports;
        await using (var producer = topic.GetProducer(new ProducerOptions { Compression = codec, Linger = TimeSpan.FromMilliseconds(20) }))
        {
            reports = await Task.WhenAll(sent.Select(m =>
                producer.ProduceAsync(m.Value, m.Key, DateTimeOffset.FromUnixTimeMilliseconds(m.TimestampMs), m.Headers, Timeout()).AsTask()));
        }

        var read = ReadAll(cluster, "interop").ToDictionary(m => (m.Partition, m.Offset));
        Assert.That(read, Has.Count.EqualTo(sent.Count), "every message once");
        Assert.That(reports.Select(r => r.Partition).Distinct().Count(), Is.GreaterThan(1), "spread over partitions");
        for (var i = 0; i < sent.Count; i++)
        {
            var expected = sent[i];
            Assert.That(read.TryGetValue((reports[i].Partition, reports[i].Offset), out var got), Is.True, $"message {i} at the offset reported");
            Assert.That(got!.Key, Is.EqualTo(expected.Key), $"key of {i}");
            Assert.That(got.Value, Is.EqualTo(expected.Value), $"value of {i}");
            Assert.That(got.TimestampMs, Is.EqualTo(expected.TimestampMs), $"timestamp of {i}");
            Assert.That(got.TimestampType, Is.EqualTo(Confluent.Kafka.TimestampType.CreateTime));
            Assert.That(got.Headers.Select(h => h.Key), Is.EqualTo(expected.Headers.Select(h => h.Key)), $"header keys of {i}");
            Assert.That(got.Headers.Select(h => h.Value), Is.EqualTo(expected.Headers.Select(h => h.IsNull ? null : h.Value.ToArray())), $"header values of {i}");
        }
    }

    [Test]
    public async Task Keys_land_on_the_partitions_Confluent_Kafka_murmur2_random_chooses()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("parity", partitions: 7, replicationFactor: 1);
        var random = new Random(7);
        var keys = Enumerable.Range(0, 300)
            .Select(i => i % 3 == 0 ? Encoding.UTF8.GetBytes($"customer-{i}") : RandomBytes(random, i % 23))
            .ToList();

        using var peer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            Partitioner = Partitioner.Murmur2Random,
            LingerMs = 5,
        }).SetLogHandler((_, _) => { }).Build();
        var theirs = await Task.WhenAll(keys.Select(k => peer.ProduceAsync("parity", new Message<byte[], byte[]> { Key = k, Value = [1] })));

        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("parity", Timeout());
        await using var producer = topic.GetProducer(new ProducerOptions { Partitioner = new Murmur2Partitioner() });
        var ours = await Task.WhenAll(keys.Select(k => producer.ProduceAsync(new byte[] { 2 }, k, cancellationToken: Timeout()).AsTask()));

        for (var i = 0; i < keys.Count; i++)
        {
            Assert.That(ours[i].Partition, Is.EqualTo(theirs[i].Partition.Value), $"key {Convert.ToHexString(keys[i])}");
        }
        Assert.That(ours.Select(r => r.Partition).Distinct().Count(), Is.EqualTo(7), "every partition used");
    }

    private sealed record Order(int Id, string Customer, decimal Total);

    [Test]
    public async Task Typed_producer_writes_utf8_keys_and_json_values_Confluent_reads()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("orders", partitions: 2, replicationFactor: 1);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("orders", Timeout());
        var orders = Enumerable.Range(1, 50).Select(i => new Order(i, $"cüstomer {i % 5}", i * 1.5m)).ToList();
        await using (var producer = topic.GetProducer(Serializers.Utf8, Serializers.Json<Order>()))
        {
            foreach (var order in orders.Take(25))
            {
                await producer.ProduceAsync(order, order.Customer, cancellationToken: Timeout());
            }
            foreach (var order in orders.Skip(25))
            {
                producer.Produce(order, order.Customer);
            }
            await producer.FlushAsync(Timeout());
        }

        var read = ReadAll(cluster, "orders");
        var decoded = read.Select(m => (Key: Encoding.UTF8.GetString(m.Key!), Order: JsonSerializer.Deserialize<Order>(m.Value)!)).ToList();
        Assert.That(decoded.Select(d => d.Order).OrderBy(o => o.Id), Is.EqualTo(orders));
        Assert.That(decoded, Is.All.Matches<(string Key, Order Order)>(d => d.Key == d.Order.Customer));
        // Same key, same partition.
        Assert.That(read.GroupBy(m => Encoding.UTF8.GetString(m.Key!)).All(g => g.Select(m => m.Partition).Distinct().Count() == 1), Is.True);
    }

    [Test]
    public async Task Typed_producer_sends_null_as_no_key_and_as_a_tombstone()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("typed-null", partitions: 1, replicationFactor: 1);
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("typed-null", Timeout());
        await using (var producer = topic.GetProducer(Serializers.Utf8, Serializers.Utf8))
        {
            await producer.ProduceAsync("value", (string)null!, cancellationToken: Timeout());
            await producer.ProduceAsync(null!, "key", cancellationToken: Timeout());
            await producer.ProduceAsync("no key", Timeout());
        }
        var read = ReadAll(cluster, "typed-null").OrderBy(m => m.Offset).ToList();
        Assert.That(read.Select(m => (m.Key is null ? null : Encoding.UTF8.GetString(m.Key), m.Value is null ? null : Encoding.UTF8.GetString(m.Value))),
            Is.EqualTo(new (string?, string?)[] { (null, "value"), ("key", null), (null, "no key") }));
    }
}
