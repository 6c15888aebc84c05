using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Kafka.Client;

namespace Kafka.Benchmarks;

/// <summary>
/// One client producing one scenario, in a process of its own: a warm-up pass (JIT, pools, connections), then the
/// measured pass, timed from the first produce call to the end of the final flush. CPU is the whole process's user and
/// system time (librdkafka's native threads included); allocations are managed bytes (librdkafka's native heap is not
/// counted); peak memory is the process's peak working set.
/// </summary>
internal static class SingleRun
{
    private static readonly TimeSpan WarmupTime = TimeSpan.FromSeconds(3);

    // --run <client> <bootstrap> <topic> <valueSize> <compression> <messages>
    public static async Task<int> RunAsync(string[] args)
    {
        var client = args[0];
        var bootstrap = args[1];
        var topic = args[2];
        var value = Scenario.Value(int.Parse(args[3], CultureInfo.InvariantCulture));
        var compression = args[4];
        var messages = int.Parse(args[5], CultureInfo.InvariantCulture);
        // Warm up for at least WarmupTime and half the measured count: long enough for tiered JIT to reach its
        // optimized code (and for librdkafka to settle), so that steady state is what gets measured.
        var warmup = Math.Max(100_000, messages / 2);
        RunResult result;
        if (client.StartsWith("kafka-hosting", StringComparison.Ordinal))
        {
            // kafka-hosting-traced: the same run with every span sampled and every instrument listened to (TracedRun).
            using var listening = client == "kafka-hosting-traced" ? new TracedRun() : null;
            result = await RunOursAsync(bootstrap, topic, value, compression, warmup, messages);
        }
        else
        {
            result = RunConfluent(bootstrap, topic, value, compression, warmup, messages);
        }
        Console.Out.WriteLine(result.ToLine());
        return 0;
    }

    private static async Task<RunResult> RunOursAsync(string bootstrap, string topicName, byte[] value, string compression, int warmup, int messages)
    {
        await using var client = new KafkaClient(new KafkaClientOptions { Hosts = bootstrap });
        var topic = await client.Topics.GetAsync(topicName);
        var options = new ProducerOptions
        {
            RequiredAcks = RequiredAcks.Leader,
            Linger = TimeSpan.FromMilliseconds(5),
            Compression = compression == "lz4" ? Kafka.Client.CompressionType.Lz4 : Kafka.Client.CompressionType.None,
            MaxQueuedMessages = 100_000,
            BatchSize = 1_000_000,
        };
        await using var producer = topic.GetProducer(options);
        var warming = Stopwatch.StartNew();
        for (var produced = 0; produced < warmup || warming.Elapsed < WarmupTime; produced++)
        {
            producer.Produce(value);
        }
        await producer.FlushAsync();
        var before = await topic.LatestAvailableOffsetsAsync();

        var measure = Measure.Start();
        for (var i = 0; i < messages; i++)
        {
            producer.Produce(value);
        }
        await producer.FlushAsync();
        var result = measure.Stop("kafka-hosting", messages);

        var after = await topic.LatestAvailableOffsetsAsync();
        Verify(after.Values.Sum() - before.Values.Sum(), messages);
        return result;
    }

    private static RunResult RunConfluent(string bootstrap, string topic, byte[] value, string compression, int warmup, int messages)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.Leader,
            LingerMs = 5,
            CompressionType = compression == "lz4" ? Confluent.Kafka.CompressionType.Lz4 : Confluent.Kafka.CompressionType.None,
            QueueBufferingMaxMessages = 100_000,
            BatchSize = 1_000_000,
            EnableIdempotence = false,
            EnableDeliveryReports = false,
        };
        using var producer = new ProducerBuilder<Null, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        var message = new Message<Null, byte[]> { Value = value };
        var warming = Stopwatch.StartNew();
        for (var produced = 0; produced < warmup || warming.Elapsed < WarmupTime; produced += 10_000)
        {
            Produce(producer, topic, message, 10_000);
        }
        producer.Flush(TimeSpan.FromMinutes(2));
        var before = HighWatermarks(bootstrap, topic);

        var measure = Measure.Start();
        Produce(producer, topic, message, messages);
        producer.Flush(TimeSpan.FromMinutes(2));
        var result = measure.Stop("confluent", messages);

        Verify(HighWatermarks(bootstrap, topic) - before, messages);
        return result;
    }

    /// <summary>The usual way to keep producing with Confluent.Kafka: on a full queue, serve events briefly and retry.</summary>
    private static void Produce(IProducer<Null, byte[]> producer, string topic, Message<Null, byte[]> message, int count)
    {
        for (var i = 0; i < count; i++)
        {
            try
            {
                producer.Produce(topic, message);
            }
            catch (ProduceException<Null, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(1));
                i--;
            }
        }
    }

    private static long HighWatermarks(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "bench" })
            .SetLogHandler((_, _) => { }).Build();
        long sum = 0;
        for (var p = 0; p < Scenario.Partitions; p++)
        {
            sum += consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value;
        }
        return sum;
    }

    private static void Verify(long written, int expected)
    {
        if (written != expected)
        {
            throw new InvalidOperationException($"The brokers received {written} messages; {expected} were produced.");
        }
    }

    private readonly struct Measure
    {
        private readonly Stopwatch _watch;
        private readonly TimeSpan _cpu;
        private readonly long _allocated;

        private Measure(Stopwatch watch, TimeSpan cpu, long allocated)
        {
            _watch = watch;
            _cpu = cpu;
            _allocated = allocated;
        }

        public static Measure Start()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            using var self = Process.GetCurrentProcess();
            return new Measure(Stopwatch.StartNew(), self.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: true));
        }

        public RunResult Stop(string client, int messages)
        {
            var elapsed = _watch.Elapsed;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocated;
            using var self = Process.GetCurrentProcess();
            self.Refresh();
            return new RunResult(client, messages, elapsed.TotalSeconds, (self.TotalProcessorTime - _cpu).TotalSeconds, allocated, self.PeakWorkingSet64);
        }
    }
}
