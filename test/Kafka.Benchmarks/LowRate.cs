using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Kafka.Client;

namespace Kafka.Benchmarks;

/// <summary>
/// The low-rate case: one message per millisecond, linger 0, each <c>ProduceAsync</c> awaited before the next, so that
/// every message travels in a request of its own — what a service producing an event per incoming call does. It
/// measures what one message costs there (managed bytes allocated, CPU) and how long a delivery takes (p50, p99 from
/// the ProduceAsync call to the end of its await). Each client runs in a process of its own against the same mock
/// cluster (in a third process); rounds alternate between the clients and the median round (by p50) is kept.
/// </summary>
internal static class LowRate
{
    public const int Partitions = 6;
    public const int ValueSize = 100;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(1);

    /// <summary>The orchestrator side: <c>--lowrate [--messages n] [--rounds n] [--allocations]</c>.</summary>
    public static async Task<int> RunAsync(List<string> args)
    {
        var messages = (int)Option(args, "--messages", 5000);
        var rounds = (int)Option(args, "--rounds", 5);
        var allocations = args.Contains("--allocations");
        var traced = args.Contains("--traced");
        using var server = Orchestrator.Start("--mock-server 3");
        var bootstrap = (await server.StandardOutput.ReadLineAsync())?.Split(' ')[1]
                        ?? throw new InvalidOperationException("The mock server did not start.");
        Console.WriteLine($"Mock cluster (3 brokers) in process {server.Id} at {bootstrap}; {Environment.ProcessorCount} cores; .NET {Environment.Version}");
        Console.WriteLine($"Low rate: one {ValueSize} B keyless message per ms, linger 0, acks=1, ProduceAsync awaited before the next; " +
                          $"{messages} measured messages after a warm-up of 2 s; {Partitions} partitions; median of {rounds} rounds (by p50)");
        Console.WriteLine();

        var runs = new Dictionary<string, List<LowRateResult>> { ["confluent"] = [], ["kafka-hosting"] = [] };
        if (traced)
        {
            // This client again with someone listening to every span and instrument (see TracedRun).
            runs["kafka-hosting-traced"] = [];
        }
        var topicNumber = 0;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var client in runs.Keys)
            {
                var topic = $"lowrate-{topicNumber++}";
                await server.StandardInput.WriteLineAsync($"create {topic} {Partitions}");
                await server.StandardOutput.ReadLineAsync();
                var result = await RunOnceAsync(client, bootstrap, topic, messages, allocations);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round + 1} {client,-14} p50 {result.P50Micros,7:0} µs  p99 {result.P99Micros,7:0} µs  {result.CpuMicrosPerMessage,6:0.0} µs CPU/msg  {result.AllocatedPerMessage,7:0.0} B/msg  delivered {result.Delivered}/{result.Messages}"));
                runs[client].Add(result);
            }
        }
        await server.StandardInput.WriteLineAsync("quit");
        await server.WaitForExitAsync();

        var ours = Median(runs["kafka-hosting"]);
        var theirs = Median(runs["confluent"]);
        // Rounds alternate, so each round's two runs saw much the same load: the median of the rounds' own ratios.
        var roundRatios = runs["kafka-hosting"].Zip(runs["confluent"], (o, c) => o.P50Micros / c.P50Micros).Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"p50 ratio per round: {string.Join(" ", roundRatios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; median {roundRatios[roundRatios.Count / 2]:0.00}"));
        var table = new StringBuilder();
        table.AppendLine("| Client | Delivered | p50 µs | p99 µs | CPU µs/msg | alloc B/msg |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|");
        Row(table, "Confluent.Kafka", theirs);
        Row(table, "Kafka.Client", ours);
        if (traced)
        {
            var tracedRun = Median(runs["kafka-hosting-traced"]);
            Row(table, "Kafka.Client, traced", tracedRun);
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| **traced / untraced** | | **{tracedRun.P50Micros / ours.P50Micros:0.00}** | **{tracedRun.P99Micros / ours.P99Micros:0.00}** | **{tracedRun.CpuMicrosPerMessage / ours.CpuMicrosPerMessage:0.00}** | +{tracedRun.AllocatedPerMessage - ours.AllocatedPerMessage:0} B |"));
        }
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| **ratio** | | **{ours.P50Micros / theirs.P50Micros:0.00}** | **{ours.P99Micros / theirs.P99Micros:0.00}** | **{ours.CpuMicrosPerMessage / theirs.CpuMicrosPerMessage:0.00}** | **{ours.AllocatedPerMessage / theirs.AllocatedPerMessage:0.00}** |"));
        Console.WriteLine();
        Console.WriteLine(table.ToString());
        return 0;
    }

    private static LowRateResult Median(List<LowRateResult> results) => results.OrderBy(r => r.P50Micros).ElementAt(results.Count / 2);

    private static void Row(StringBuilder table, string client, LowRateResult r) =>
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| {client} | {r.Delivered:N0} / {r.Messages:N0} | {r.P50Micros:0} | {r.P99Micros:0} | {r.CpuMicrosPerMessage:0.0} | {r.AllocatedPerMessage:0.0} |"));

    private static async Task<LowRateResult> RunOnceAsync(string client, string bootstrap, string topic, int messages, bool allocations)
    {
        using var run = Orchestrator.Start(string.Create(CultureInfo.InvariantCulture,
            $"--run-lowrate {client} {bootstrap} {topic} {messages}{(allocations ? " --allocations" : "")}"));
        var output = await run.StandardOutput.ReadToEndAsync();
        var errors = await run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();
        foreach (var line in output.Split('\n').Where(l => l.StartsWith("ALLOC ", StringComparison.Ordinal)))
        {
            Console.WriteLine($"  {client}: {line[6..].Trim()}");
        }
        var result = output.Split('\n').Select(l => LowRateResult.Parse(l.Trim())).FirstOrDefault(r => r is not null);
        return result ?? throw new InvalidOperationException($"The {client} low-rate run failed (exit {run.ExitCode}):{Environment.NewLine}{output}{errors}");
    }

    /// <summary>One measured run: <c>--run-lowrate client bootstrap topic messages [--allocations]</c>.</summary>
    public static async Task<int> RunSingleAsync(string[] args)
    {
        var client = args[0];
        var bootstrap = args[1];
        var topic = args[2];
        var messages = int.Parse(args[3], CultureInfo.InvariantCulture);
        using var sampler = args.Contains("--allocations") ? new AllocationSampler() : null;
        var value = Scenario.Value(ValueSize);
        using var listening = client == "kafka-hosting-traced" ? new TracedRun() : null;
        var result = client.StartsWith("kafka-hosting", StringComparison.Ordinal)
            ? await RunOursAsync(bootstrap, topic, value, messages, sampler)
            : await RunConfluentAsync(bootstrap, topic, value, messages, sampler);
        if (sampler is not null)
        {
            foreach (var line in sampler.Top(12))
            {
                Console.Out.WriteLine($"ALLOC {line}");
            }
        }
        Console.Out.WriteLine(result.ToLine());
        return 0;
    }

    private static async Task<LowRateResult> RunOursAsync(string bootstrap, string topicName, byte[] value, int messages, AllocationSampler? sampler)
    {
        await using var client = new KafkaClient(new KafkaClientOptions { Hosts = bootstrap });
        var topic = await client.Topics.GetAsync(topicName);
        await using var producer = topic.GetProducer(new ProducerOptions
        {
            RequiredAcks = RequiredAcks.Leader,
            Linger = TimeSpan.Zero,
            EnableIdempotence = false,
        });
        // The loops are written out (no lambda per message) so that the harness itself allocates nothing per message.
        var pass = new Pass(messages);
        for (var pacer = pass.Warmup; pacer.Next(out var i);)
        {
            var sent = Stopwatch.GetTimestamp();
            pacer.Done(i, sent, (await producer.ProduceAsync(value)).Offset >= 0);
        }
        var before = (await topic.LatestAvailableOffsetsAsync()).Values.Sum();

        sampler?.Start();
        var measure = Measure.Start();
        while (pass.Next(out var i))
        {
            var sent = Stopwatch.GetTimestamp();
            pass.Done(i, sent, (await producer.ProduceAsync(value)).Offset >= 0);
        }
        var (cpu, allocated) = measure.Stop();
        sampler?.Stop();

        var written = (await topic.LatestAvailableOffsetsAsync()).Values.Sum() - before;
        return pass.Result(cpu, allocated, written);
    }

    private static async Task<LowRateResult> RunConfluentAsync(string bootstrap, string topic, byte[] value, int messages, AllocationSampler? sampler)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Acks.Leader,
            LingerMs = 0,
            EnableIdempotence = false,
            // This client always sets TCP_NODELAY; librdkafka leaves Nagle on unless told.
            SocketNagleDisable = true,
        };
        using var producer = new ProducerBuilder<Null, byte[]>(config).SetLogHandler((_, _) => { }).Build();
        var message = new Message<Null, byte[]> { Value = value };
        var pass = new Pass(messages);
        for (var pacer = pass.Warmup; pacer.Next(out var i);)
        {
            var sent = Stopwatch.GetTimestamp();
            pacer.Done(i, sent, (await producer.ProduceAsync(topic, message)).Status == PersistenceStatus.Persisted);
        }
        var before = HighWatermarks(bootstrap, topic);

        sampler?.Start();
        var measure = Measure.Start();
        while (pass.Next(out var i))
        {
            var sent = Stopwatch.GetTimestamp();
            pass.Done(i, sent, (await producer.ProduceAsync(topic, message)).Status == PersistenceStatus.Persisted);
        }
        var (cpu, allocated) = measure.Stop();
        sampler?.Stop();

        var written = HighWatermarks(bootstrap, topic) - before;
        return pass.Result(cpu, allocated, written);
    }

    private static long HighWatermarks(string bootstrap, string topic)
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

    /// <summary>
    /// A measured pass (a latency slot per message) or, for warming up, a timed one. It paces the sends: one per
    /// <see cref="Interval"/>, or at once when the previous delivery took longer. Waiting for the next slot sleeps the
    /// thread, which allocates nothing and costs no CPU. (Awaiting a 1 ms PeriodicTimer instead was measured to add
    /// a thread-pool wake-up per message, doubling both clients' latency and CPU.)
    /// </summary>
    private sealed class Pass
    {
        private long _start;

        public Pass(int messages) => Latencies = new long[messages];

        private Pass(TimeSpan duration)
        {
            Latencies = [];
            Duration = duration;
        }

        public long[] Latencies { get; }

        public TimeSpan? Duration { get; }

        public int Delivered { get; private set; }

        /// <summary>Two seconds of the same traffic first: the JIT reaches its optimized code, pools fill, connections open.</summary>
        public Pass Warmup => new(TimeSpan.FromSeconds(2));

        /// <summary>Waits for the slot of message <paramref name="index"/>; false when the pass is over.</summary>
        public bool Next(out int index)
        {
            var now = Stopwatch.GetTimestamp();
            if (_start == 0)
            {
                _start = now;
            }
            index = _next++;
            if (Duration is { } duration ? Stopwatch.GetElapsedTime(_start, now) >= duration : index >= Latencies.Length)
            {
                return false;
            }
            var due = _start + (long)(index * Interval.TotalSeconds * Stopwatch.Frequency);
            if (due > now)
            {
                Thread.Sleep(Stopwatch.GetElapsedTime(now, due));
            }
            return true;
        }

        private int _next;

        public void Done(int index, long sent, bool delivered)
        {
            if (Latencies.Length > 0)
            {
                Latencies[index] = Stopwatch.GetTimestamp() - sent;
                Delivered += delivered ? 1 : 0;
            }
        }

        public LowRateResult Result(TimeSpan cpu, long allocated, long written)
        {
            if (written != Latencies.Length || Delivered != Latencies.Length)
            {
                throw new InvalidOperationException($"{Latencies.Length} messages were produced; {Delivered} were reported delivered and the brokers' offsets grew by {written}.");
            }
            var sorted = Latencies.Order().ToArray();
            double Micros(long ticks) => ticks * 1e6 / Stopwatch.Frequency;
            return new LowRateResult(Latencies.Length, Delivered, written, Micros(sorted[sorted.Length / 2]), Micros(sorted[sorted.Length * 99 / 100]),
                cpu.TotalMicroseconds / Latencies.Length, (double)allocated / Latencies.Length);
        }
    }

    private readonly struct Measure
    {
        private readonly TimeSpan _cpu;
        private readonly long _allocated;

        private Measure(TimeSpan cpu, long allocated)
        {
            _cpu = cpu;
            _allocated = allocated;
        }

        public static Measure Start()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return new Measure(Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes(precise: true));
        }

        public (TimeSpan Cpu, long Allocated) Stop() =>
            (Environment.CpuUsage.TotalTime - _cpu, GC.GetTotalAllocatedBytes(precise: true) - _allocated);
    }
}

/// <summary>One low-rate run's figures, one line on stdout.</summary>
internal sealed record LowRateResult(int Messages, int Delivered, long Written, double P50Micros, double P99Micros, double CpuMicrosPerMessage, double AllocatedPerMessage)
{
    public string ToLine() => string.Create(CultureInfo.InvariantCulture,
        $"LOWRATE {Messages} {Delivered} {Written} {P50Micros:R} {P99Micros:R} {CpuMicrosPerMessage:R} {AllocatedPerMessage:R}");

    public static LowRateResult? Parse(string line)
    {
        var parts = line.Split(' ');
        if (parts.Length != 8 || parts[0] != "LOWRATE")
        {
            return null;
        }
        var c = CultureInfo.InvariantCulture;
        return new LowRateResult(int.Parse(parts[1], c), int.Parse(parts[2], c), long.Parse(parts[3], c), double.Parse(parts[4], c),
            double.Parse(parts[5], c), double.Parse(parts[6], c), double.Parse(parts[7], c));
    }
}
