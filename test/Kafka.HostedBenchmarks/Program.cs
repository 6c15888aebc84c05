using System.Diagnostics;
using System.Runtime;
using Kafka.HostedBenchmarks;
using Kafka.Testing;

// Hosted consumer benchmark: AddConsumer (and AddBatchConsumer) against the BackgroundService pattern .NET users write
// with Confluent.Kafka (a consume loop with auto-commit, a DI scope and a handler per message), on the same messages
// of a mock cluster running in a separate process, in one run.
//   dotnet run -c Release --project test/Kafka.HostedBenchmarks [-- --passes 5 --only "100 B" --verbose]
//   ... -- --eos [--passes 5]: the exactly-once case (AddTransactionalConsumer against a Confluent.Kafka transactional loop, see Eos.cs)
// Each pass is a new consumer group reading the topic from the start; it is measured from the first message handled
// to the last (joining the group is not measured). After one unmeasured pass per client (JIT, pools), the clients
// alternate for --passes passes and the pass with the median wall time is reported.

if (args.Contains("--mock-server-eos"))
{
    await Eos.ServeAsync();
    return;
}

if (args.Contains("--mock-server"))
{
    await using var mock = MockKafkaCluster.Start(1);
    mock.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
    foreach (var c in Case.All)
    {
        mock.CreateTopic(c.Topic, partitions: Case.Partitions);
    }
    Console.WriteLine(mock.BootstrapServers);
    Console.Out.Flush();
    await Console.In.ReadToEndAsync(); // until the parent closes our stdin
    return;
}

var passes = args.SkipWhile(a => a != "--passes").Skip(1).Select(int.Parse).FirstOrDefault(5);
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
var verbose = args.Contains("--verbose");
// --clients message,batch,confluent (default: all): which contenders run, e.g. one alone under a profiler.
var clients = args.SkipWhile(a => a != "--clients").Skip(1).FirstOrDefault()?.Split(',') ?? ["message", "batch", "confluent"];
var eos = args.Contains("--eos");
using var server = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, [typeof(Case).Assembly.Location, eos ? "--mock-server-eos" : "--mock-server"])
{
    RedirectStandardInput = true,
    RedirectStandardOutput = true,
    UseShellExecute = false,
})!;
var bootstrap = (await server.StandardOutput.ReadLineAsync())!.Trim();
if (eos)
{
    Console.WriteLine($"Mock cluster (separate process {server.Id}) at {bootstrap}; {Environment.ProcessorCount} cores.");
    await Eos.RunAsync(bootstrap, passes);
    server.StandardInput.Close();
    await server.WaitForExitAsync();
    return;
}
Console.WriteLine($"Mock cluster (separate process {server.Id}) at {bootstrap}; {Case.Partitions} partitions per topic; median of {passes} passes; {Environment.ProcessorCount} cores.");
Console.WriteLine();
Console.WriteLine("| Case | Client | Messages | Wall ms | msgs/s | CPU µs/msg | Allocated B/msg | msgs/s ratio | CPU ratio | Alloc ratio |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");

foreach (var c in Case.All)
{
    if (only is not null && !c.Name.StartsWith(only, StringComparison.Ordinal))
    {
        continue;
    }
    Producing.Fill(bootstrap, c);
    var runners = new List<IRunner>();
    if (clients.Contains("message"))
    {
        runners.Add(new HostedRunner(bootstrap, c, batch: false));
    }
    if (c.HandlerDelay == TimeSpan.Zero && clients.Contains("batch"))
    {
        runners.Add(new HostedRunner(bootstrap, c, batch: true));
    }
    var floor = c.HandlerDelay > TimeSpan.Zero ? new AwaitFloorRunner(c) : null;
    if (floor is not null)
    {
        runners.Add(floor);
    }
    var confluent = new ConfluentLoopRunner(bootstrap, c);
    if (clients.Contains("confluent"))
    {
        runners.Add(confluent);
    }

    // Warm-up, not measured: rounds of one pass per client until the JIT has (nearly) finished tiering up. A pass
    // measures the whole process's CPU, and a pass's own start (connections, group join) runs a few times per pass,
    // so its code tiers up over several passes; one warm-up round left hundreds of methods (100-280 ms of JIT) to be
    // compiled inside the measured windows, counted against whichever client was measuring then.
    var warmup = 0;
    long compiled;
    do
    {
        var before = JitInfo.GetCompiledMethodCount();
        foreach (var runner in runners)
        {
            await runner.RunAsync();
        }
        compiled = JitInfo.GetCompiledMethodCount() - before;
        warmup++;
    }
    while (compiled > WarmCompiledMethods * runners.Count && warmup < MaxWarmupRounds);
    if (verbose)
    {
        Console.WriteLine($"{c.Name}: {warmup} warm-up round(s), the last compiled {compiled} method(s).");
    }
    var results = runners.ToDictionary(r => r, _ => new List<Result>());
    for (var pass = 0; pass < passes; pass++)
    {
        foreach (var runner in runners)
        {
            await JitQuietAsync();
            results[runner].Add(await runner.RunAsync());
        }
    }
    var baseline = results.TryGetValue(confluent, out var own) ? Result.Median(own) : default;
    foreach (var runner in runners)
    {
        if (verbose)
        {
            Console.WriteLine($"{c.Name}, {runner.Name}: {string.Join(" ", results[runner].Select(r => $"{r.Elapsed.TotalMilliseconds:0}ms/{r.CpuMicrosPerMessage:0.00}µs/{r.AllocatedPerMessage:0}B/JIT {r.Jit.TotalMilliseconds:0}ms"))}");
        }
        var median = Result.Median(results[runner]);
        var ratios = ReferenceEquals(runner, confluent) || ReferenceEquals(runner, floor)
            ? "| | | "
            : $"| **{median.MessagesPerSecond / baseline.MessagesPerSecond:0.00}** | **{median.CpuMicrosPerMessage / baseline.CpuMicrosPerMessage:0.00}** | {median.AllocatedPerMessage / baseline.AllocatedPerMessage:0.00} ";
        Console.WriteLine($"| {c.Name} | {runner.Name} | {median.Messages:N0} | {median.Elapsed.TotalMilliseconds:N0} | {median.MessagesPerSecond:N0} | {median.CpuMicrosPerMessage:0.000} | {median.AllocatedPerMessage:0.0} {ratios}|");
    }
    if (floor is not null)
    {
        // The goal's "ideal" is what the handler's await really costs here, measured alone in the same run (the floor),
        // not the nominal messages per partition × delay: a 2 ms timer await takes longer than 2 ms.
        var ours = Result.Median(results[runners[0]]);
        var ideal = Result.Median(results[floor]);
        var nominal = c.HandlerDelay * c.PerPartition;
        var perAwait = ideal.Elapsed / c.PerPartition;
        // Each pass measures the two one after the other, under the same load: the ratio of each pass, then their median.
        var perPass = results[runners[0]].Zip(results[floor], (o, f) => o.Elapsed / f.Elapsed).Order().ToList();
        var ratio = perPass[perPass.Count / 2];
        Console.WriteLine($"| {c.Name} | goal: wall within 1.5 × the await alone ({ideal.Elapsed.TotalMilliseconds:N0} ms: {c.PerPartition} awaits of {c.HandlerDelay.TotalMilliseconds:0} ms per partition at {perAwait.TotalMilliseconds:0.00} ms each; nominal {nominal.TotalMilliseconds:N0} ms) | | {ours.Elapsed.TotalMilliseconds:N0} (**{ratio:0.00} ×** the await alone, median of the passes' ratios {perPass[0]:0.00}–{perPass[^1]:0.00}) | | | | | | |");
    }
}
server.StandardInput.Close();
await server.WaitForExitAsync();

internal static partial class Program
{
    /// <summary>Warm-up ends when a round compiles at most this many methods per client (a new host compiles its DI resolvers).</summary>
    private const int WarmCompiledMethods = 30;

    private const int MaxWarmupRounds = 12;

    /// <summary>
    /// Waits (up to 5 s) until the JIT has compiled nothing for 300 ms: the previous pass's start (a new host, connections,
    /// a group join) queues tier-ups that the JIT's background thread compiles about 100 ms later, and they would
    /// otherwise land in the next measured window, whichever client's it is.
    /// </summary>
    private static async Task JitQuietAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var last = JitInfo.GetCompiledMethodCount();
        var quiet = 0;
        while (quiet < 3 && Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(100);
            var now = JitInfo.GetCompiledMethodCount();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
    }
}
