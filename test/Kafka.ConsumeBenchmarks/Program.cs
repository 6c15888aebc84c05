using System.Diagnostics;
using Confluent.Kafka;
using Kafka.Client;
using Kafka.Testing;

// Consume benchmark: this client's SimpleConsumer against Confluent.Kafka's consumer, reading the same messages,
// already produced, from a mock cluster running in a separate process (so only the client's CPU is measured).
//   dotnet run -c Release --project test/Kafka.ConsumeBenchmarks [-- --messages-mb 24]
// Prints one Markdown table row per case.

if (args.Contains("--mock-server"))
{
    await using var mock = MockKafkaCluster.Start(1);
    foreach (var name in args.Where(a => a.StartsWith("bench-", StringComparison.Ordinal)))
    {
        mock.CreateTopic(name, partitions: 8);
    }
    Console.WriteLine(mock.BootstrapServers);
    Console.Out.Flush();
    await Console.In.ReadToEndAsync(); // until the parent closes our stdin
    return;
}

var megabytes = args.SkipWhile(a => a != "--messages-mb").Skip(1).Select(int.Parse).FirstOrDefault(24);
const int Partitions = 8;
var cases = new[] { (100, Confluent.Kafka.CompressionType.None), (100, Confluent.Kafka.CompressionType.Lz4), (1000, Confluent.Kafka.CompressionType.None), (1000, Confluent.Kafka.CompressionType.Lz4) };
static string TopicName(int size, Confluent.Kafka.CompressionType codec) => $"bench-{size}-{codec}".ToLowerInvariant();
using var server = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, [typeof(Program).Assembly.Location, "--mock-server", .. cases.Select(c => TopicName(c.Item1, c.Item2))])
{
    RedirectStandardInput = true,
    RedirectStandardOutput = true,
    UseShellExecute = false,
})!;
var bootstrap = (await server.StandardOutput.ReadLineAsync())!.Trim();
Console.WriteLine($"Mock cluster (separate process {server.Id}) at {bootstrap}; {Partitions} partitions per topic, about {megabytes} MB of values per case.");
Console.WriteLine();
Console.WriteLine("| Case | Client | Messages | msgs/s | CPU µs/msg | Allocated B/msg | CPU ratio (ours/Confluent) |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");

foreach (var (size, codec) in cases)
{
    var topic = TopicName(size, codec);
    var count = megabytes * 1024 * 1024 / size / Partitions * Partitions;
    await ProduceAsync(bootstrap, topic, count, size, codec);
    // Each client reads the whole topic twice; the second pass is measured.
    await ConsumeWithOursAsync(bootstrap, topic, count);
    var ours = await ConsumeWithOursAsync(bootstrap, topic, count);
    ConsumeWithConfluent(bootstrap, topic, count);
    var confluent = ConsumeWithConfluent(bootstrap, topic, count);
    var name = $"{size} B, {codec.ToString().ToLowerInvariant()}";
    Console.WriteLine(Row(name, "Kafka.Client", ours, $"{ours.CpuMicrosPerMessage / confluent.CpuMicrosPerMessage:0.00}"));
    Console.WriteLine(Row(name, "Confluent.Kafka", confluent, ""));
}
server.StandardInput.Close();
await server.WaitForExitAsync();

static string Row(string name, string client, Result r, string ratio) =>
    $"| {name} | {client} | {r.Messages:N0} | {r.Messages / r.Elapsed.TotalSeconds:N0} | {r.CpuMicrosPerMessage:0.000} | {r.AllocatedPerMessage:0.0} | {ratio} |";

static async Task ProduceAsync(string bootstrap, string topic, int count, int size, Confluent.Kafka.CompressionType codec)
{
    using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig
    {
        BootstrapServers = bootstrap,
        CompressionType = codec,
        LingerMs = 20,
        BatchSize = 1_000_000,
        QueueBufferingMaxMessages = 1_000_000,
    }).SetLogHandler((_, _) => { }).Build();
    var value = new byte[size];
    Random.Shared.NextBytes(value);
    for (var i = 0; i < count; i++)
    {
        while (true)
        {
            try
            {
                producer.Produce(new TopicPartition(topic, i % Partitions), new Message<Null, byte[]> { Value = value });
                break;
            }
            catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(10));
            }
        }
    }
    producer.Flush(TimeSpan.FromMinutes(1));
}

static async Task<Result> ConsumeWithOursAsync(string bootstrap, string topicName, int count)
{
    await using var client = new KafkaClient(new KafkaClientOptions { Hosts = bootstrap });
    var topic = await client.Topics.GetAsync(topicName);
    var measure = Measure.Start();
    await using var consumer = topic.GetSimpleConsumer(new SimpleConsumerOptions
    {
        FetchWaitMax = TimeSpan.FromMilliseconds(100),
        FetchMinBytes = 1,
        FetchMessageMaxBytes = 1024 * 1024,
        QueuedMaxMessages = 20_000,
    });
    long bytes = 0;
    for (var i = 0; i < count; i++)
    {
        var message = await consumer.ConsumeAsync();
        bytes += message!.Value.Length;
    }
    return measure.Stop(count, bytes);
}

static Result ConsumeWithConfluent(string bootstrap, string topic, int count)
{
    var measure = Measure.Start();
    using var consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
    {
        BootstrapServers = bootstrap,
        GroupId = "bench",
        EnableAutoCommit = false,
        FetchWaitMaxMs = 100,
        FetchMinBytes = 1,
        MaxPartitionFetchBytes = 1024 * 1024,
        CheckCrcs = true, // this client verifies CRCs by default; so that both do the same work
    }).SetLogHandler((_, _) => { }).Build();
    consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
    long bytes = 0;
    for (var i = 0; i < count; i++)
    {
        var result = consumer.Consume(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("Confluent.Kafka read nothing for 30 s");
        bytes += result.Message.Value.Length;
    }
    var r = measure.Stop(count, bytes);
    consumer.Close();
    return r;
}

internal readonly record struct Result(int Messages, long Bytes, TimeSpan Elapsed, double CpuMicrosPerMessage, double AllocatedPerMessage);

internal readonly struct Measure
{
    private readonly long _started;
    private readonly TimeSpan _cpu;
    private readonly long _allocated;

    private Measure(long started, TimeSpan cpu, long allocated)
    {
        _started = started;
        _cpu = cpu;
        _allocated = allocated;
    }

    public static Measure Start()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return new Measure(Stopwatch.GetTimestamp(), Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: true));
    }

    public Result Stop(int messages, long bytes)
    {
        var elapsed = Stopwatch.GetElapsedTime(_started);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - _cpu;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocated;
        return new Result(messages, bytes, elapsed, cpu.TotalMicroseconds / messages, (double)allocated / messages);
    }
}
