using System.Diagnostics;
using Confluent.Kafka;
using Kafka.Client;
using Kafka.Testing;

// Consume benchmark: this client's SimpleConsumer against Confluent.Kafka's consumer, reading the same messages,
// already produced, from a mock cluster running in a separate process (so only the client's CPU is measured).
//   dotnet run -c Release --project test/Kafka.ConsumeBenchmarks [-- --messages-mb 64 --passes 7 --only "100 B, lz4"]
// Per case, each client opens one consumer and reads the whole topic over and over (a pass starts from offset 0; this
// client both one message per ConsumeAsync call and in ConsumeBatchAsync batches of up to 1000; Confluent.Kafka with
// ConsumeResultFields "all", its default, which copies topic, timestamp and headers into every result, and "none"):
// at least 3 s to warm up (until the JIT has gone quiet), then --passes measured passes, the readers alternating.
// Every pass of every reader counts the offsets that skip ahead (gaps) or come again (repeats) per partition. The pass
// with the median CPU time is reported, as one Markdown table row per reader. --verbose prints every pass;
// --readers picks some of them (to profile one at a time), --ours-only leaves Confluent.Kafka out.
// Each reader runs in a process of its own (--reader), so its CPU time and memory are its own. After the passes each
// reads the topic once more while its working set is sampled every 50 ms (the readers one after the other), then all
// idle 25 s (waiting in a consume call, as a consuming loop does when nothing arrives) with a process of this harness that has no consumer (the runtime's floor), and report
// their working set, GC-committed memory and managed heap after a full GC, and their working set after an aggressive
// (decommitting) GC; --no-memory skips that. Breakdowns (anonymous and file-backed pages, GC committed and
// fragmented, threads) go to stderr. --allocations prints, after every pass, the types the pass allocated most
// (the runtime's allocation sampling, in each reader process).

if (args.Contains("--mock-server"))
{
    await using var mock = MockKafkaCluster.Start(1);
    foreach (var name in args.Where(a => a.StartsWith("bench-", StringComparison.Ordinal)))
    {
        mock.CreateTopic(name, partitions: Benchmark.Partitions);
    }
    Console.WriteLine(mock.BootstrapServers);
    Console.Out.Flush();
    await Console.In.ReadToEndAsync(); // until the parent closes our stdin
    return;
}

if (args.Length > 0 && args[0] == "--reader")
{
    await ReaderProcess.RunAsync(args[1], args[2], args[3], int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture));
    return;
}

var megabytes = args.SkipWhile(a => a != "--messages-mb").Skip(1).Select(int.Parse).FirstOrDefault(64);
var passes = args.SkipWhile(a => a != "--passes").Skip(1).Select(int.Parse).FirstOrDefault(7);
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
// Which readers run (all four by default): "ours" (one message per call), "batches", "all" and "none" (Confluent.Kafka's
// ConsumeResultFields). --ours-only is "ours,batches". Running one alone is for profiling it.
var readers = (args.Contains("--ours-only") ? "ours,batches" : args.SkipWhile(a => a != "--readers").Skip(1).FirstOrDefault() ?? "ours,batches,all,none")
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
if (args.Contains("--traced"))
{
    // This client's readers again, in processes listening to every span and instrument (TracedRun).
    readers.AddRange(readers.Where(r => r is "ours" or "batches").Select(r => r + "-traced").ToList());
}
var verbose = args.Contains("--verbose");
var memory = !args.Contains("--no-memory");
if (args.Contains("--allocations"))
{
    Environment.SetEnvironmentVariable(ReaderProcess.AllocationsVariable, "1"); // the reader processes inherit it
}
if (megabytes > Benchmark.Partitions * Benchmark.MaxMegabytesPerPartition)
{
    Console.Error.WriteLine($"--messages-mb is at most {Benchmark.Partitions * Benchmark.MaxMegabytesPerPartition}: the mock broker keeps about 5 MB per partition.");
    return;
}
var cases = new[] { (100, Confluent.Kafka.CompressionType.None), (100, Confluent.Kafka.CompressionType.Lz4), (1000, Confluent.Kafka.CompressionType.None), (1000, Confluent.Kafka.CompressionType.Lz4) };
static string TopicName(int size, Confluent.Kafka.CompressionType codec) => $"bench-{size}-{codec}".ToLowerInvariant();
using var server = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, [typeof(Program).Assembly.Location, "--mock-server", .. cases.Select(c => TopicName(c.Item1, c.Item2))])
{
    RedirectStandardInput = true,
    RedirectStandardOutput = true,
    UseShellExecute = false,
})!;
var bootstrap = (await server.StandardOutput.ReadLineAsync())!.Trim();
Console.WriteLine($"Mock cluster (separate process {server.Id}) at {bootstrap}; {Benchmark.Partitions} partitions per topic, about {megabytes} MB of values per case, median of {passes} passes; each reader in a process of its own.");
Console.WriteLine();
var table = new List<string>
{
    "| Case | Client | Messages | msgs/s | CPU µs/msg | Allocated B/msg | Gaps / repeats | CPU ratio vs Confluent `all` | vs `none` |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
};
var memoryTable = new List<string>
{
    "| Case | Client | Working set MiB while reading: median | peak | idle 25 s + full GC: working set | GC committed | managed heap | after an aggressive GC: working set | working set ratio vs `none` (reading / idle) | above the floor, vs `none` (reading / idle) |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
};
var flawed = false;
var labels = new Dictionary<string, string>
{
    ["ours"] = "Kafka.Client",
    ["batches"] = "Kafka.Client, batches",
    ["ours-traced"] = "Kafka.Client, traced",
    ["batches-traced"] = "Kafka.Client, batches, traced",
    ["all"] = "Confluent.Kafka, `all`",
    ["none"] = "Confluent.Kafka, `none`",
};

foreach (var (size, codec) in cases)
{
    var name = $"{size} B, {codec.ToString().ToLowerInvariant()}";
    if (only is not null && only != name)
    {
        continue;
    }
    var topic = TopicName(size, codec);
    var count = megabytes * 1024 * 1024 / size / Benchmark.Partitions * Benchmark.Partitions;
    Benchmark.Produce(bootstrap, topic, count, size, codec);

    // Each reader in a process of its own, so that a pass's process CPU is that reader's alone (an idle consumer in
    // the same process — librdkafka's threads keep fetching for an assigned consumer — would count in the others'
    // passes) and so is its memory. Each warms up before the first pass; the passes then alternate between them.
    var children = new Dictionary<string, ReaderChild>();
    foreach (var reader in readers)
    {
        children[reader] = await ReaderChild.StartAsync(reader, bootstrap, topic, count, size);
    }
    var results = readers.ToDictionary(r => r, _ => new List<Result>());
    for (var pass = 0; pass < passes; pass++)
    {
        foreach (var reader in readers)
        {
            results[reader].Add(await children[reader].PassAsync());
        }
    }
    var footprints = new Dictionary<string, Footprint>();
    if (memory)
    {
        // All at once: each measures its working set now, then after idling (consumer open, nothing consumed); with
        // them a process of the same harness with no consumer, the runtime's own floor that both clients' processes carry.
        var reading = new Dictionary<string, (double Median, double Peak)>();
        foreach (var reader in readers)
        {
            reading[reader] = await children[reader].SampledPassAsync();
        }
        children[ReaderProcess.Baseline] = await ReaderChild.StartAsync(ReaderProcess.Baseline, bootstrap, topic, count, size);
        reading[ReaderProcess.Baseline] = await children[ReaderProcess.Baseline].SampledPassAsync();
        var measured = readers.Append(ReaderProcess.Baseline).ToList();
        var pending = measured.ToDictionary(r => r, r => children[r].MemoryAsync());
        foreach (var reader in measured)
        {
            footprints[reader] = await pending[reader] with { ReadingWorkingSet = reading[reader].Median, PeakWorkingSet = reading[reader].Peak };
        }
    }
    foreach (var child in children.Values)
    {
        await child.DisposeAsync();
    }
    if (verbose)
    {
        foreach (var reader in readers)
        {
            Console.WriteLine($"{name}: {labels[reader]} passes (CPU µs/msg, allocated B/msg, ms): {Benchmark.Describe(results[reader])}");
        }
    }
    flawed |= results.Values.SelectMany(r => r).Any(r => r.Gaps + r.Repeats > 0);
    Result? allMedian = results.TryGetValue("all", out var a) ? Benchmark.Median(a) : null;
    Result? noneMedian = results.TryGetValue("none", out var n) ? Benchmark.Median(n) : null;
    foreach (var reader in readers)
    {
        var mine = reader is "ours" or "batches" or "ours-traced" or "batches-traced";
        var row = Benchmark.Row(name, labels[reader], results[reader], Benchmark.Median(results[reader]), mine ? allMedian : null, mine ? noneMedian : null);
        table.Add(row);
        Console.WriteLine(row);
        if (memory)
        {
            memoryTable.Add(MemoryRow(name, labels[reader], footprints[reader], reader != "none" && footprints.TryGetValue("none", out var none) ? none : null, footprints[ReaderProcess.Baseline]));
        }
    }
    if (memory)
    {
        memoryTable.Add(MemoryRow(name, "no consumer (the runtime's floor)", footprints[ReaderProcess.Baseline], null, null));
    }
}
Console.WriteLine();
table.ForEach(Console.WriteLine);

// A memory table row; the ratios are to Confluent.Kafka at `none`, as measured, and with the floor (a process of this
// harness with no consumer) taken from both.
static string MemoryRow(string name, string client, Footprint f, Footprint? none, Footprint? floor)
{
    var ratio = none is { } n ? $"**{f.ReadingWorkingSet / n.ReadingWorkingSet:0.00}** / **{f.IdleWorkingSet / n.IdleWorkingSet:0.00}**" : "";
    var above = none is { } m && floor is { } b
        ? $"**{(f.ReadingWorkingSet - b.ReadingWorkingSet) / (m.ReadingWorkingSet - b.ReadingWorkingSet):0.00}** / **{(f.IdleWorkingSet - b.IdleWorkingSet) / (m.IdleWorkingSet - b.IdleWorkingSet):0.00}**"
        : "";
    return $"| {name} | {client} | {f.ReadingWorkingSet:0} | {f.PeakWorkingSet:0} | {f.IdleWorkingSet:0} | {f.IdleGcCommitted:0.0} | {f.IdleManagedHeap:0.0} | {f.AggressiveWorkingSet:0} | {ratio} | {above} |";
}
if (memory)
{
    Console.WriteLine();
    memoryTable.ForEach(Console.WriteLine);
}
if (flawed)
{
    Console.WriteLine();
    Console.WriteLine("A reader skipped or repeated offsets (see the Gaps / repeats column): its figures do not count.");
    Environment.ExitCode = 1;
}
server.StandardInput.Close();
await server.WaitForExitAsync();

internal static class Benchmark
{
    // The mock broker keeps about 5 MB per partition and drops older data, so the data is spread over enough partitions.
    public const int Partitions = 32;
    public const int MaxMegabytesPerPartition = 4;
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Messages per partition a reader may hold fetched and not yet consumed, the same for both clients: this client's
    /// QueuedMaxMessages (per partition) and librdkafka's queued.min.messages (per partition, with queued.max.messages.kbytes
    /// raised so that bytes never bind first).
    /// </summary>
    public const int QueuedMaxMessages = 20_000;

    public static Result Median(List<Result> results) => results.OrderBy(r => r.CpuMicrosPerMessage).ElementAt(results.Count / 2);

    public static string Describe(List<Result> results) =>
        string.Join(" ", results.Select(r => $"{r.CpuMicrosPerMessage:0.000}/{r.AllocatedPerMessage:0}/{r.Elapsed.TotalMilliseconds:0}"));

    /// <summary>A table row: the median pass's figures, the gaps and repeats of every pass, the CPU ratios to both Confluent settings.</summary>
    public static string Row(string name, string client, List<Result> passes, Result r, Result? all, Result? none) =>
        $"| {name} | {client} | {r.Messages:N0} | {r.Messages / r.Elapsed.TotalSeconds:N0} | {r.CpuMicrosPerMessage:0.000} | {r.AllocatedPerMessage:0.0} | " +
        $"{passes.Sum(p => p.Gaps)} / {passes.Sum(p => p.Repeats)} | {Ratio(r, all)} | {Ratio(r, none)} |";

    private static string Ratio(Result ours, Result? theirs) =>
        theirs is { } t ? $"**{ours.CpuMicrosPerMessage / t.CpuMicrosPerMessage:0.00}**" : "";

    /// <summary>Every message carries the same random value of <paramref name="size"/> bytes.</summary>
    public static void Produce(string bootstrap, string topic, int count, int size, Confluent.Kafka.CompressionType codec)
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
        if (producer.Flush(TimeSpan.FromMinutes(2)) > 0)
        {
            throw new InvalidOperationException($"Producing {count} messages to {topic} did not finish within 2 minutes.");
        }
    }
}

/// <summary>This client: one SimpleConsumer, moved back to offset 0 before each pass.</summary>
internal sealed class OursReader : IAsyncDisposable
{
    private readonly KafkaClient _client;
    private readonly SimpleConsumer _consumer;
    private readonly int _count;
    private readonly Dictionary<int, long> _start;

    private OursReader(KafkaClient client, SimpleConsumer consumer, int count)
    {
        _client = client;
        _consumer = consumer;
        _count = count;
        _start = consumer.Partitions.Keys.ToDictionary(id => id, _ => 0L);
    }

    public static async Task<OursReader> StartAsync(string bootstrap, string topicName, int count)
    {
        var client = new KafkaClient(new KafkaClientOptions { Hosts = bootstrap });
        var topic = await client.Topics.GetAsync(topicName);
        // Every partition must hold offsets 0 to count/Partitions - 1, or the passes would wait for messages that are not there.
        var earliest = await topic.EarliestAvailableOffsetsAsync();
        var latest = await topic.LatestAvailableOffsetsAsync();
        for (var p = 0; p < Benchmark.Partitions; p++)
        {
            if (earliest[p] != 0 || latest[p] != count / Benchmark.Partitions)
            {
                throw new InvalidOperationException($"{topicName}/{p} holds offsets {earliest[p]} to {latest[p]}, not 0 to {count / Benchmark.Partitions}.");
            }
        }
        var consumer = topic.GetSimpleConsumer(new SimpleConsumerOptions
        {
            FetchWaitMax = TimeSpan.FromMilliseconds(100),
            FetchMinBytes = 1,
            FetchMessageMaxBytes = 1024 * 1024,
            QueuedMaxMessages = Benchmark.QueuedMaxMessages,
            ConsumerTimeout = TimeSpan.FromSeconds(30),
        });
        return new OursReader(client, consumer, count);
    }

    /// <summary>
    /// Reads the topic from offset 0, one message per call or (<paramref name="batches"/>) up to 1000 per
    /// ConsumeBatchAsync call, counting offsets that skip ahead or come again.
    /// </summary>
    public async Task<Result> PassAsync(bool batches = false)
    {
        await _consumer.ResetOffsetsAsync(_start);
        var order = new OffsetOrder(Benchmark.Partitions);
        var measure = Measure.Start();
        long bytes = 0;
        if (batches)
        {
            for (var i = 0; i < _count;)
            {
                var batch = await _consumer.ConsumeBatchAsync(1000);
                if (batch.Count == 0)
                {
                    throw new InvalidOperationException($"Kafka.Client read nothing for 30 s after {i} of {_count} messages.");
                }
                foreach (var message in batch)
                {
                    bytes += message.Value.Length;
                    order.Check(message.PartitionId, message.Offset);
                }
                i += batch.Count;
            }
            return measure.Stop(_count, bytes, order);
        }
        for (var i = 0; i < _count; i++)
        {
            var message = await _consumer.ConsumeAsync() ?? throw new InvalidOperationException($"Kafka.Client read nothing for 30 s after {i} of {_count} messages.");
            bytes += message.Value.Length;
            order.Check(message.PartitionId, message.Offset);
        }
        return measure.Stop(_count, bytes, order);
    }

    /// <summary>
    /// Idles as a consuming loop does when nothing arrives: waiting in a consume call. (That call also gives back the
    /// buffers of the messages the previous call handed out, which stay valid until then.)
    /// </summary>
    public async Task IdleAsync(TimeSpan idle, bool batches)
    {
        using var timeout = new CancellationTokenSource(idle);
        try
        {
            var received = batches ? (await _consumer.ConsumeBatchAsync(1000, timeout.Token)).Count : await _consumer.ConsumeAsync(timeout.Token) is null ? 0 : 1;
            if (received > 0)
            {
                throw new InvalidOperationException("Kafka.Client read a message while idle: the topic was read to its end.");
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _consumer.DisposeAsync();
        await _client.DisposeAsync();
    }
}

/// <summary>
/// Confluent.Kafka: one consumer, assigned every partition at offset 0 before each pass, with ConsumeResultFields
/// <c>all</c> (its default: topic, timestamp and headers copied into every result) or <c>none</c>.
/// </summary>
internal sealed class ConfluentReader : IDisposable
{
    private readonly IConsumer<Ignore, byte[]> _consumer;
    private readonly List<TopicPartitionOffset> _start;
    private readonly int _count;

    public ConfluentReader(string bootstrap, string topic, int count, int valueSize, string resultFields)
    {
        _count = count;
        _start = [.. Enumerable.Range(0, Benchmark.Partitions).Select(p => new TopicPartitionOffset(topic, p, new Offset(0)))];
        _consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench",
            EnableAutoCommit = false,
            FetchWaitMaxMs = 100,
            FetchMinBytes = 1,
            MaxPartitionFetchBytes = 1024 * 1024,
            CheckCrcs = true, // this client verifies CRCs by default; so that both do the same work
            ConsumeResultFields = resultFields,
            // The same prefetch limit as this client's QueuedMaxMessages: messages per partition, bytes never binding first.
            QueuedMinMessages = Benchmark.QueuedMaxMessages,
            QueuedMaxMessagesKbytes = (int)Math.Min(2_097_151, (long)Benchmark.QueuedMaxMessages * Benchmark.Partitions * (valueSize + 100) / 1024),
        }).SetLogHandler((_, _) => { }).Build();
    }

    public Result Pass()
    {
        _consumer.Assign(_start);
        var order = new OffsetOrder(Benchmark.Partitions);
        var measure = Measure.Start();
        long bytes = 0;
        for (var i = 0; i < _count; i++)
        {
            var result = _consumer.Consume(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException($"Confluent.Kafka read nothing for 30 s after {i} of {_count} messages.");
            bytes += result.Message.Value.Length;
            order.Check(result.Partition.Value, result.Offset.Value);
        }
        return measure.Stop(_count, bytes, order);
    }

    /// <summary>Idles as a consuming loop does when nothing arrives: waiting in a consume call.</summary>
    public void Idle(TimeSpan idle)
    {
        if (_consumer.Consume(idle) is not null)
        {
            throw new InvalidOperationException("Confluent.Kafka read a message while idle: the topic was read to its end.");
        }
    }

    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}

/// <summary>Per partition, the offset that should come next: an offset past it is a gap, one before it a repeat.</summary>
internal sealed class OffsetOrder(int partitions)
{
    private readonly long[] _next = new long[partitions];

    public int Gaps { get; private set; }

    public int Repeats { get; private set; }

    public void Check(int partition, long offset)
    {
        var expected = _next[partition];
        if (offset > expected)
        {
            Gaps++;
        }
        else if (offset < expected)
        {
            Repeats++;
            return;
        }
        _next[partition] = offset + 1;
    }
}

/// <summary>
/// When a reader has warmed up: after <see cref="Benchmark.WarmUp"/>, once the JIT has compiled no method for a second
/// (tiered compilation goes on in the background for several seconds, and its CPU would count in the measured passes),
/// and after 20 s at most.
/// </summary>
internal sealed class WarmUp
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Longest = TimeSpan.FromSeconds(20);
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private long _compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
    private TimeSpan _lastCompile;

    public bool Done()
    {
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        if (compiled != _compiled)
        {
            _compiled = compiled;
            _lastCompile = _watch.Elapsed;
        }
        return _watch.Elapsed >= Longest || (_watch.Elapsed >= Benchmark.WarmUp && _watch.Elapsed - _lastCompile >= Quiet);
    }
}

internal readonly record struct Result(int Messages, long Bytes, TimeSpan Elapsed, double CpuMicrosPerMessage, double AllocatedPerMessage, int Gaps, int Repeats);

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
        return new Measure(Stopwatch.GetTimestamp(), Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes(precise: true));
    }

    public Result Stop(int messages, long bytes, OffsetOrder order)
    {
        var elapsed = Stopwatch.GetElapsedTime(_started);
        var cpu = Environment.CpuUsage.TotalTime - _cpu;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocated;
        return new Result(messages, bytes, elapsed, cpu.TotalMicroseconds / messages, (double)allocated / messages, order.Gaps, order.Repeats);
    }
}

/// <summary>What a reader process reports about its memory (MiB).</summary>
/// <param name="ReadingWorkingSet">The median of the working set samples taken while reading the topic.</param>
/// <param name="PeakWorkingSet">The largest of them.</param>
/// <param name="IdleWorkingSet">After 25 s idle (consumer open) and a full GC.</param>
/// <param name="IdleGcCommitted">The memory the GC held committed then (heap, fragmentation and free regions).</param>
/// <param name="IdleManagedHeap">The live managed heap then.</param>
/// <param name="AggressiveWorkingSet">After a GC told to give back all it can (<see cref="GCCollectionMode.Aggressive"/>).</param>
internal readonly record struct Footprint(double ReadingWorkingSet, double PeakWorkingSet, double IdleWorkingSet, double IdleGcCommitted, double IdleManagedHeap, double AggressiveWorkingSet);

/// <summary>The parent's handle on one reader process: "pass" runs a pass, "memory" measures, closing stdin ends it.</summary>
internal sealed class ReaderChild : IAsyncDisposable
{
    private readonly Process _process;

    private ReaderChild(Process process) => _process = process;

    public static async Task<ReaderChild> StartAsync(string reader, string bootstrap, string topic, int count, int size)
    {
        var process = Process.Start(new ProcessStartInfo(Environment.ProcessPath!,
            [typeof(Program).Assembly.Location, "--reader", reader, bootstrap, topic, count.ToString(System.Globalization.CultureInfo.InvariantCulture), size.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var child = new ReaderChild(process);
        await child.ExpectAsync("READY");
        return child;
    }

    public async Task<Result> PassAsync()
    {
        await _process.StandardInput.WriteLineAsync("pass");
        await _process.StandardInput.FlushAsync();
        var p = (await ExpectAsync("RESULT")).Split(' ');
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return new Result(int.Parse(p[1], c), long.Parse(p[2], c), TimeSpan.FromTicks(long.Parse(p[3], c)), double.Parse(p[4], c), double.Parse(p[5], c), int.Parse(p[6], c), int.Parse(p[7], c));
    }

    public async Task<Footprint> MemoryAsync()
    {
        await _process.StandardInput.WriteLineAsync("memory");
        await _process.StandardInput.FlushAsync();
        var p = (await ExpectAsync("MEMORY")).Split(' ');
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return new Footprint(0, 0, double.Parse(p[1], c), double.Parse(p[2], c), double.Parse(p[3], c), double.Parse(p[4], c));
    }

    /// <summary>One more pass while the working set is sampled: its median and peak (MiB).</summary>
    public async Task<(double Median, double Peak)> SampledPassAsync()
    {
        await _process.StandardInput.WriteLineAsync("sample");
        await _process.StandardInput.FlushAsync();
        var p = (await ExpectAsync("SAMPLED")).Split(' ');
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return (double.Parse(p[1], c), double.Parse(p[2], c));
    }

    private async Task<string> ExpectAsync(string prefix)
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }
            Console.Error.WriteLine(line);
        }
        throw new InvalidOperationException($"A reader process ended (exit {(_process.HasExited ? _process.ExitCode : -1)}) before answering {prefix}.");
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}

/// <summary>One reader in its own process: warms up, then runs a pass per "pass" line and measures on "memory".</summary>
internal static class ReaderProcess
{
    public const string AllocationsVariable = "KAFKA_BENCH_ALLOCATIONS";

    /// <summary>A reader process with no consumer: the .NET runtime and this harness alone, the floor both clients' processes share.</summary>
    public const string Baseline = "baseline";

    public static async Task RunAsync(string reader, string bootstrap, string topic, int count, int size)
    {
        using var listening = reader.EndsWith("-traced", StringComparison.Ordinal) ? new Kafka.Benchmarks.TracedRun() : null;
        reader = listening is null ? reader : reader[..^"-traced".Length];
        using var sampler = Environment.GetEnvironmentVariable(AllocationsVariable) == "1" ? new Kafka.Benchmarks.AllocationSampler() : null;
        await using var ours = reader is "ours" or "batches" ? await OursReader.StartAsync(bootstrap, topic, count) : null;
        using var confluent = reader is "all" or "none" ? new ConfluentReader(bootstrap, topic, count, size, reader) : null;
        var batches = reader == "batches";
        Func<Task<Result>> pass = ours is not null ? () => ours.PassAsync(batches)
            : confluent is not null ? () => Task.FromResult(confluent.Pass())
            : () => Task.FromResult(default(Result)); // the baseline: no consumer, nothing to read
        var warmUp = new WarmUp();
        while (reader != Baseline && !warmUp.Done())
        {
            await pass();
        }
        Console.WriteLine("READY");
        var c = System.Globalization.CultureInfo.InvariantCulture;
        while (Console.ReadLine() is { } command)
        {
            if (command == "pass")
            {
                sampler?.Start();
                var r = await pass();
                sampler?.Stop();
                if (sampler is not null)
                {
                    Console.WriteLine($"allocations of {reader} ({r.AllocatedPerMessage:0.0} B/msg): {string.Join("; ", sampler.Top(8))}");
                }
                Console.WriteLine(string.Create(c, $"RESULT {r.Messages} {r.Bytes} {r.Elapsed.Ticks} {r.CpuMicrosPerMessage:R} {r.AllocatedPerMessage:R} {r.Gaps} {r.Repeats}"));
            }
            else if (command == "sample")
            {
                // Not a measured pass: the sampling allocates. Every 50 ms, and at least once for a very short pass.
                var samples = new List<double>();
                var breakdown = "";
                using (var sampling = new Timer(_ =>
                {
                    lock (samples)
                    {
                        var sample = MemoryBreakdown.WorkingSet();
                        if (samples.Count == 0 || sample > samples.Max())
                        {
                            breakdown = MemoryBreakdown.Describe(); // what the peak is made of
                        }
                        samples.Add(sample);
                    }
                }, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50)))
                {
                    await pass();
                }
                lock (samples)
                {
                    if (samples.Count == 0)
                    {
                        samples.Add(MemoryBreakdown.WorkingSet());
                    }
                    Console.Error.WriteLine($"breakdown of {reader}, reading (at the peak of {samples.Count} samples): {breakdown}");
                    samples.Sort();
                    Console.WriteLine(string.Create(c, $"SAMPLED {samples[samples.Count / 2]:0.0} {samples[^1]:0.0}"));
                }
            }
            else if (command == "memory")
            {
                var idleFor = TimeSpan.FromSeconds(25);
                await (ours is not null ? ours.IdleAsync(idleFor, batches) : confluent is not null ? Task.Run(() => confluent.Idle(idleFor)) : Task.Delay(idleFor));
                var idleHeap = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
                var idle = MemoryBreakdown.WorkingSet();
                var committed = GC.GetGCMemoryInfo(GCKind.Any).TotalCommittedBytes / 1048576.0;
                Console.Error.WriteLine($"breakdown of {reader}, idle: {MemoryBreakdown.Describe()}");
                GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                var aggressive = MemoryBreakdown.WorkingSet();
                Console.Error.WriteLine($"breakdown of {reader}, after an aggressive GC: {MemoryBreakdown.Describe()}");
                Console.WriteLine(string.Create(c, $"MEMORY {idle:0.0} {committed:0.0} {idleHeap:0.0} {aggressive:0.0}"));
            }
        }
    }
}

/// <summary>What the process's resident memory is made of (MiB): the kernel's anonymous and file-backed pages, the GC's committed memory and heap.</summary>
internal static class MemoryBreakdown
{
    /// <summary>The process's resident memory (MiB), as <see cref="Process.WorkingSet64"/> reports it on Linux.</summary>
    public static double WorkingSet()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64 / 1048576.0;
    }

    public static string Describe()
    {
        var status = File.ReadAllLines("/proc/self/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim());
        static double Kb(string v) => double.Parse(v.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        using var self = Process.GetCurrentProcess();
        const double MiB = 1048576.0;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"peak {Kb(status["VmHWM"]):0.0} rss {Kb(status["VmRSS"]):0.0} anon {Kb(status["RssAnon"]):0.0} file {Kb(status["RssFile"]):0.0} | gc committed {gc.TotalCommittedBytes / MiB:0.0} heap {gc.HeapSizeBytes / MiB:0.0} fragmented {gc.FragmentedBytes / MiB:0.0} " +
            $"gen0..poh {string.Join("/", gc.GenerationInfo.ToArray().Select(g => (g.SizeAfterBytes / MiB).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))} | threads {self.Threads.Count} | anon - gc committed {Kb(status["RssAnon"]) - gc.TotalCommittedBytes / MiB:0.0}");
    }
}
