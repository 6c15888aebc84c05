using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Kafka.Benchmarks;

/// <summary>
/// Runs every scenario with both clients against one mock cluster in a separate process and prints a table with each
/// figure and this client's ratio to Confluent.Kafka's (below 1 is better for CPU, allocations and memory; above 1 is
/// better for throughput). Options: <c>--scale x</c> multiplies message counts; <c>--rounds n</c> repeats each run and
/// keeps the median; <c>--only text</c> runs the scenarios whose name contains the text (such as <c>"1000 B, lz4"</c>).
/// </summary>
internal static class Orchestrator
{
    public static async Task<int> RunAsync(List<string> args)
    {
        var scale = Option(args, "--scale", 1.0);
        var rounds = (int)Option(args, "--rounds", 3);
        var only = args.IndexOf("--only") is var o and >= 0 && o + 1 < args.Count ? args[o + 1] : null;
        var traced = args.Contains("--traced");
        Scenario[] all =
        [
            new(100, "none", (int)(1_000_000 * scale)),
            new(100, "lz4", (int)(1_000_000 * scale)),
            new(1000, "none", (int)(300_000 * scale)),
            new(1000, "lz4", (int)(300_000 * scale)),
        ];
        var scenarios = all.Where(s => only is null || s.Name.Contains(only, StringComparison.Ordinal)).ToArray();

        using var server = Start("--mock-server 3");
        var bootstrap = (await server.StandardOutput.ReadLineAsync())?.Split(' ')[1]
                        ?? throw new InvalidOperationException("The mock server did not start.");
        Console.WriteLine($"Mock cluster (3 brokers) in process {server.Id} at {bootstrap}; {Environment.ProcessorCount} cores; .NET {Environment.Version}");
        Console.WriteLine($"acks=1, linger 5 ms, {Scenario.Partitions} partitions, keyless messages, fire-and-forget produce then flush; median of {rounds} runs");
        Console.WriteLine();

        var table = new StringBuilder();
        table.AppendLine("| Scenario | Client | msgs/s | CPU µs/msg | alloc B/msg | peak MiB |");
        table.AppendLine("|---|---|---:|---:|---:|---:|");
        var topicNumber = 0;
        foreach (var scenario in scenarios)
        {
            // Rounds alternate between the clients so that both see the same background load.
            var runs = new Dictionary<string, List<RunResult>> { ["confluent"] = [], ["kafka-hosting"] = [] };
            if (traced)
            {
                runs["kafka-hosting-traced"] = []; // this client again, with every span and instrument listened to
            }
            for (var round = 0; round < rounds; round++)
            {
                foreach (var client in runs.Keys)
                {
                    // A fresh topic per run: the mock's retention (5 MiB or 100,000 messages per partition) never
                    // makes one client pay for the other's log.
                    var topic = $"bench-{topicNumber++}";
                    await server.StandardInput.WriteLineAsync($"create {topic} {Scenario.Partitions}");
                    await server.StandardOutput.ReadLineAsync();
                    runs[client].Add(await RunOnceAsync(client, bootstrap, topic, scenario));
                }
            }
            var results = new Dictionary<string, RunResult>();
            foreach (var (client, list) in runs)
            {
                var median = list.OrderBy(r => r.CpuMicrosecondsPerMessage).ElementAt(list.Count / 2);
                results[client] = median;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{scenario.Name,-12} {client,-14} {median.MessagesPerSecond,12:N0} msg/s {median.CpuMicrosecondsPerMessage,7:0.000} µs CPU/msg {median.AllocatedBytesPerMessage,8:0.00} B/msg {median.PeakMiB,7:0} MiB"));
            }
            var ours = results["kafka-hosting"];
            var theirs = results["confluent"];
            Row(table, scenario.Name, "Confluent.Kafka", theirs);
            Row(table, scenario.Name, "Kafka.Client", ours);
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {scenario.Name} | **ratio** | **{ours.MessagesPerSecond / theirs.MessagesPerSecond:0.00}** | **{ours.CpuMicrosecondsPerMessage / theirs.CpuMicrosecondsPerMessage:0.00}** | " +
                $"**{Ratio(ours.AllocatedBytesPerMessage, theirs.AllocatedBytesPerMessage)}** | **{ours.PeakMiB / theirs.PeakMiB:0.00}** |"));
            if (results.TryGetValue("kafka-hosting-traced", out var withTracing))
            {
                Row(table, scenario.Name, "Kafka.Client, traced", withTracing);
                table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {scenario.Name} | **traced / untraced** | **{withTracing.MessagesPerSecond / ours.MessagesPerSecond:0.00}** | " +
                    $"**{withTracing.CpuMicrosecondsPerMessage / ours.CpuMicrosecondsPerMessage:0.00}** (+{(withTracing.CpuMicrosecondsPerMessage - ours.CpuMicrosecondsPerMessage) * 1000:0} ns) | " +
                    $"+{withTracing.AllocatedBytesPerMessage - ours.AllocatedBytesPerMessage:0} B | **{withTracing.PeakMiB / ours.PeakMiB:0.00}** |"));
            }
        }
        await server.StandardInput.WriteLineAsync("quit");
        await server.WaitForExitAsync();

        Console.WriteLine();
        Console.WriteLine(table.ToString());
        return 0;
    }

    private static void Row(StringBuilder table, string scenario, string client, RunResult r) =>
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| {scenario} | {client} | {r.MessagesPerSecond:N0} | {r.CpuMicrosecondsPerMessage:0.000} | {r.AllocatedBytesPerMessage:0.00} | {r.PeakMiB:0} |"));

    private static string Ratio(double ours, double theirs) =>
        theirs <= 0 ? "n/a" : (ours / theirs).ToString("0.00", CultureInfo.InvariantCulture);

    private static async Task<RunResult> RunOnceAsync(string client, string bootstrap, string topic, Scenario scenario)
    {
        using var run = Start(string.Create(CultureInfo.InvariantCulture,
            $"--run {client} {bootstrap} {topic} {scenario.ValueSize} {scenario.Compression} {scenario.Messages}"));
        var output = await run.StandardOutput.ReadToEndAsync();
        var errors = await run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();
        var result = output.Split('\n').Select(l => RunResult.Parse(l.Trim())).FirstOrDefault(r => r is not null);
        return result ?? throw new InvalidOperationException($"The {client} run of {scenario.Name} failed (exit {run.ExitCode}):{Environment.NewLine}{output}{errors}");
    }

    /// <summary>Starts this same program with <paramref name="arguments"/> (through the dotnet host when run as a dll).</summary>
    internal static Process Start(string arguments)
    {
        var host = Environment.ProcessPath!;
        var self = typeof(Orchestrator).Assembly.Location;
        var info = Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? new ProcessStartInfo(host, $"\"{self}\" {arguments}")
            : new ProcessStartInfo(host, arguments);
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {host}.");
    }

    private static double Option(List<string> args, string name, double fallback)
    {
        var i = args.IndexOf(name);
        return i >= 0 && i + 1 < args.Count ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
