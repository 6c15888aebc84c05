using System.Diagnostics;
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
    var runners = new List<IRunner> { new HostedRunner(bootstrap, c, batch: false) };
    if (c.HandlerDelay == TimeSpan.Zero)
    {
        runners.Add(new HostedRunner(bootstrap, c, batch: true));
    }
    var floor = c.HandlerDelay > TimeSpan.Zero ? new AwaitFloorRunner(c) : null;
    if (floor is not null)
    {
        runners.Add(floor);
    }
    var confluent = new ConfluentLoopRunner(bootstrap, c);
    runners.Add(confluent);

    foreach (var runner in runners)
    {
        await runner.RunAsync(); // warm-up, not measured
    }
    var results = runners.ToDictionary(r => r, _ => new List<Result>());
    for (var pass = 0; pass < passes; pass++)
    {
        foreach (var runner in runners)
        {
            results[runner].Add(await runner.RunAsync());
        }
    }
    var baseline = Result.Median(results[confluent]);
    foreach (var runner in runners)
    {
        if (verbose)
        {
            Console.WriteLine($"{c.Name}, {runner.Name}: {string.Join(" ", results[runner].Select(r => $"{r.Elapsed.TotalMilliseconds:0}ms/{r.CpuMicrosPerMessage:0.00}µs/{r.AllocatedPerMessage:0}B"))}");
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
