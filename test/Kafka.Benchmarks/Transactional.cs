using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Kafka.Client;

namespace Kafka.Benchmarks;

/// <summary>
/// The transactional produce case: each client's transactional producer runs a number of transactions of the same
/// size (begin, produce the messages fire-and-forget, commit) to one topic, against the same mock cluster (in its own
/// process), each client in a process of its own. Messages go round-robin over the partitions with both clients. Rounds alternate between the clients; the median round (by
/// throughput) is kept, and the ratio is the median of the rounds' own ratios. Both are checked for what they
/// delivered: every commit must succeed and the topic's end offsets must have grown by the messages plus one commit
/// marker per partition per transaction.
/// </summary>
internal static class Transactional
{
    public const int Partitions = 3;
    public const int ValueSize = 100;

    /// <summary>The orchestrator side: <c>--transactional [--transactions n] [--size n] [--rounds n]</c>.</summary>
    public static async Task<int> RunAsync(List<string> args)
    {
        var transactions = (int)Option(args, "--transactions", 200);
        var size = (int)Option(args, "--size", 1000);
        var rounds = (int)Option(args, "--rounds", 3);
        using var server = Orchestrator.Start("--mock-server 3");
        var bootstrap = (await server.StandardOutput.ReadLineAsync())?.Split(' ')[1]
                        ?? throw new InvalidOperationException("The mock server did not start.");
        Console.WriteLine($"Mock cluster (3 brokers) in process {server.Id} at {bootstrap}; {Environment.ProcessorCount} cores; .NET {Environment.Version}");
        Console.WriteLine($"Transactional produce: {transactions} transactions of {size} keyless {ValueSize} B messages (fire-and-forget, then commit), " +
                          $"linger 5 ms, {Partitions} partitions, after a warm-up of 20 transactions; median of {rounds} rounds");
        Console.WriteLine();

        var runs = new Dictionary<string, List<TransactionalResult>> { ["confluent"] = [], ["kafka-hosting"] = [] };
        var topicNumber = 0;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var client in runs.Keys)
            {
                var topic = $"txn-{topicNumber++}";
                await server.StandardInput.WriteLineAsync($"create {topic} {Partitions}");
                await server.StandardOutput.ReadLineAsync();
                using var run = Orchestrator.Start(string.Create(CultureInfo.InvariantCulture,
                    $"--run-transactional {client} {bootstrap} {topic} {transactions} {size} txn-bench-{topicNumber}"));
                var output = await run.StandardOutput.ReadToEndAsync();
                var errors = await run.StandardError.ReadToEndAsync();
                await run.WaitForExitAsync();
                var result = output.Split('\n').Select(l => TransactionalResult.Parse(l.Trim())).FirstOrDefault(r => r is not null)
                             ?? throw new InvalidOperationException($"The {client} transactional run failed (exit {run.ExitCode}):{Environment.NewLine}{output}{errors}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round + 1} {client,-14} {result.MessagesPerSecond,10:N0} msgs/s  {result.TransactionsPerSecond,7:0.0} txn/s  {result.CpuMicrosPerMessage,6:0.00} µs CPU/msg  {result.AllocatedPerMessage,7:0.0} B/msg"));
                runs[client].Add(result);
            }
        }
        await server.StandardInput.WriteLineAsync("quit");
        await server.WaitForExitAsync();

        var ours = Median(runs["kafka-hosting"]);
        var theirs = Median(runs["confluent"]);
        var ratios = runs["kafka-hosting"].Zip(runs["confluent"], (o, c) => o.MessagesPerSecond / c.MessagesPerSecond).Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"throughput ratio per round: {string.Join(" ", ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; median {ratios[ratios.Count / 2]:0.00}"));
        var table = new StringBuilder();
        table.AppendLine("| Client | Committed | msgs/s | txn/s | CPU µs/msg | alloc B/msg |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|");
        Row(table, "Confluent.Kafka", theirs);
        Row(table, "Kafka.Client", ours);
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| **ratio** | | **{ratios[ratios.Count / 2]:0.00}** | | **{ours.CpuMicrosPerMessage / theirs.CpuMicrosPerMessage:0.00}** | **{ours.AllocatedPerMessage / theirs.AllocatedPerMessage:0.00}** |"));
        Console.WriteLine();
        Console.WriteLine(table.ToString());
        return 0;
    }

    private static TransactionalResult Median(List<TransactionalResult> results) =>
        results.OrderBy(r => r.MessagesPerSecond).ElementAt(results.Count / 2);

    private static void Row(StringBuilder table, string client, TransactionalResult r) =>
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| {client} | {r.Messages:N0} | {r.MessagesPerSecond:N0} | {r.TransactionsPerSecond:0.0} | {r.CpuMicrosPerMessage:0.00} | {r.AllocatedPerMessage:0.0} |"));

    /// <summary>One measured run: <c>--run-transactional client bootstrap topic transactions size transactionalId</c>.</summary>
    public static async Task<int> RunSingleAsync(string[] args)
    {
        var client = args[0];
        var bootstrap = args[1];
        var topic = args[2];
        var transactions = int.Parse(args[3], CultureInfo.InvariantCulture);
        var size = int.Parse(args[4], CultureInfo.InvariantCulture);
        var transactionalId = args[5];
        var value = Scenario.Value(ValueSize);
        var result = client == "kafka-hosting"
            ? await RunOursAsync(bootstrap, topic, transactionalId, value, transactions, size)
            : RunConfluent(bootstrap, topic, transactionalId, value, transactions, size);
        Console.Out.WriteLine(result.ToLine());
        return 0;
    }

    private const int Warmup = 20;

    private static async Task<TransactionalResult> RunOursAsync(string bootstrap, string topicName, string transactionalId, byte[] value, int transactions, int size)
    {
        await using var client = new KafkaClient(new KafkaClientOptions { Hosts = bootstrap });
        await client.Topics.GetAsync(topicName);
        await using var producer = client.GetTransactionalProducer(new ProducerOptions
        {
            TransactionalId = transactionalId,
            Linger = TimeSpan.FromMilliseconds(5),
            Partitioner = new RoundRobinPartitioner(),
        });
        await producer.InitTransactionsAsync();
        async Task Pass(int count)
        {
            for (var t = 0; t < count; t++)
            {
                producer.BeginTransaction();
                for (var i = 0; i < size; i++)
                {
                    producer.Produce(topicName, value);
                }
                await producer.CommitTransactionAsync();
            }
        }
        await Pass(Warmup);
        var before = EndOffsets(bootstrap, topicName);
        var measure = Measure.Start();
        await Pass(transactions);
        var (elapsed, cpu, allocated) = measure.Stop();
        return Result(transactions, size, elapsed, cpu, allocated, EndOffsets(bootstrap, topicName) - before);
    }

    private static TransactionalResult RunConfluent(string bootstrap, string topic, string transactionalId, byte[] value, int transactions, int size)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            TransactionalId = transactionalId,
            LingerMs = 5,
            // This client always sets TCP_NODELAY; librdkafka leaves Nagle on unless told.
            SocketNagleDisable = true,
        };
        var failed = 0;
        using var producer = new ProducerBuilder<Null, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        producer.InitTransactions(TimeSpan.FromSeconds(30));
        var message = new Message<Null, byte[]> { Value = value };
        var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition(topic, p)).ToArray();
        void Handler(DeliveryReport<Null, byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref failed);
            }
        }
        void Pass(int count)
        {
            for (var t = 0; t < count; t++)
            {
                producer.BeginTransaction();
                for (var i = 0; i < size; i++)
                {
                    // Round-robin, as the other client: every transaction touches every partition.
                    producer.Produce(partitions[i % Partitions], message, Handler);
                }
                producer.CommitTransaction();
            }
        }
        Pass(Warmup);
        var before = EndOffsets(bootstrap, topic);
        var measure = Measure.Start();
        Pass(transactions);
        var (elapsed, cpu, allocated) = measure.Stop();
        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} Confluent.Kafka deliveries failed.");
        }
        return Result(transactions, size, elapsed, cpu, allocated, EndOffsets(bootstrap, topic) - before);
    }

    private static TransactionalResult Result(int transactions, int size, TimeSpan elapsed, TimeSpan cpu, long allocated, long written)
    {
        var messages = (long)transactions * size;
        // Each transaction writes its messages and one commit marker in every partition it touched (all of them at this size).
        var expected = messages + ((long)transactions * Math.Min(Partitions, size));
        if (written != expected)
        {
            throw new InvalidOperationException($"{messages} messages in {transactions} transactions: the end offsets grew by {written}, not {expected}.");
        }
        return new TransactionalResult(messages, messages / elapsed.TotalSeconds, transactions / elapsed.TotalSeconds,
            cpu.TotalMicroseconds / messages, (double)allocated / messages);
    }

    private static long EndOffsets(string bootstrap, string topic)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "bench" })
            .SetLogHandler((_, _) => { }).Build();
        long sum = 0;
        for (var p = 0; p < Partitions; p++)
        {
            sum += consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value;
        }
        return sum;
    }

    private static double Option(List<string> args, string name, double fallback)
    {
        var i = args.IndexOf(name);
        return i >= 0 && i + 1 < args.Count ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private readonly struct Measure
    {
        private readonly long _start;
        private readonly TimeSpan _cpu;
        private readonly long _allocated;

        private Measure(long start, TimeSpan cpu, long allocated)
        {
            _start = start;
            _cpu = cpu;
            _allocated = allocated;
        }

        public static Measure Start()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return new Measure(Stopwatch.GetTimestamp(), Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes(precise: true));
        }

        public (TimeSpan Elapsed, TimeSpan Cpu, long Allocated) Stop() =>
            (Stopwatch.GetElapsedTime(_start), Environment.CpuUsage.TotalTime - _cpu, GC.GetTotalAllocatedBytes(precise: true) - _allocated);
    }
}

/// <summary>One transactional run's figures, one line on stdout.</summary>
internal sealed record TransactionalResult(long Messages, double MessagesPerSecond, double TransactionsPerSecond, double CpuMicrosPerMessage, double AllocatedPerMessage)
{
    public string ToLine() => string.Create(CultureInfo.InvariantCulture,
        $"TRANSACTIONAL {Messages} {MessagesPerSecond:R} {TransactionsPerSecond:R} {CpuMicrosPerMessage:R} {AllocatedPerMessage:R}");

    public static TransactionalResult? Parse(string line)
    {
        var parts = line.Split(' ');
        if (parts.Length != 6 || parts[0] != "TRANSACTIONAL")
        {
            return null;
        }
        var c = CultureInfo.InvariantCulture;
        return new TransactionalResult(long.Parse(parts[1], c), double.Parse(parts[2], c), double.Parse(parts[3], c), double.Parse(parts[4], c),
            double.Parse(parts[5], c));
    }
}
