using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Kafka.Client;

namespace Kafka.Benchmarks;

/// <summary>
/// Metadata at scale: a cluster of many partitions (20,000 and 100,000 by default, 100 per topic, 3 replicas each), and
/// what one full refresh costs. This client: <c>UpdateClusterAsync</c> and then every <see cref="Kafka.Client.Topic"/>
/// built (each partition's leader read), either from nothing (no topic held, so every Topic and Partition object is new)
/// or with every topic held by the caller (each updated in place). Confluent.Kafka: <c>IAdminClient.GetMetadata</c>
/// for every topic, its whole answer as .NET objects. Each client runs in a process of its own against the same mock
/// cluster (a third process); rounds alternate between the clients and the median round is kept.
/// </summary>
internal static class MetadataAtScale
{
    private const int Brokers = 3;

    /// <summary>The orchestrator side: <c>--metadata [--partitions 20000,100000] [--per-topic 100] [--iterations n] [--rounds n]</c>.</summary>
    public static async Task<int> RunAsync(List<string> args)
    {
        var sizes = (OptionText(args, "--partitions") ?? "20000,100000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var perTopic = (int)Option(args, "--per-topic", 100);
        var iterations = (int)Option(args, "--iterations", 15);
        var rounds = (int)Option(args, "--rounds", 3);
        Console.WriteLine($"Metadata at scale: {perTopic} partitions per topic, replication factor 3, {Brokers}-broker mock in its own process; " +
                          $"{Environment.ProcessorCount} cores; .NET {Environment.Version}; median of {iterations} refreshes per run after 3 unmeasured, median of {rounds} rounds");
        Console.WriteLine();

        var table = new StringBuilder();
        table.AppendLine("| Partitions | Client | ms per refresh | CPU ms | allocated MiB | µs per partition | ratio (ms) | ratio (CPU) |");
        table.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        string[] clients = ["confluent", "kafka-hosting-build", "kafka-hosting-held"];
        foreach (var partitions in sizes)
        {
            using var server = Orchestrator.Start($"--mock-server {Brokers}");
            var bootstrap = (await server.StandardOutput.ReadLineAsync())?.Split(' ')[1]
                            ?? throw new InvalidOperationException("The mock server did not start.");
            var topics = (partitions + perTopic - 1) / perTopic;
            for (var t = 0; t < topics; t++)
            {
                await server.StandardInput.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"create meta-{t} {Math.Min(perTopic, partitions - t * perTopic)} 3"));
                await server.StandardOutput.ReadLineAsync();
            }

            var runs = clients.ToDictionary(c => c, _ => new List<MetadataResult>());
            for (var round = 0; round < rounds; round++)
            {
                foreach (var client in clients)
                {
                    var result = await RunOnceAsync(client, bootstrap, iterations, partitions);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{partitions,7} round {round + 1} {client,-20} {result.Milliseconds,8:0.00} ms  {result.CpuMilliseconds,8:0.00} ms CPU  {result.AllocatedBytes / 1048576.0,7:0.0} MiB"));
                    runs[client].Add(result);
                }
            }
            await server.StandardInput.WriteLineAsync("quit");
            await server.WaitForExitAsync();

            var theirs = Median(runs["confluent"]);
            Row(table, partitions, "Confluent.Kafka GetMetadata", theirs, null);
            Row(table, partitions, "Kafka.Client refresh + build every Topic", Median(runs["kafka-hosting-build"]), theirs);
            Row(table, partitions, "Kafka.Client refresh, every Topic held", Median(runs["kafka-hosting-held"]), theirs);
        }
        Console.WriteLine();
        Console.WriteLine(table.ToString());
        return 0;
    }

    private static MetadataResult Median(List<MetadataResult> results) => results.OrderBy(r => r.Milliseconds).ElementAt(results.Count / 2);

    private static void Row(StringBuilder table, int partitions, string client, MetadataResult r, MetadataResult? theirs)
    {
        var ratios = theirs is null
            ? " | |"
            : string.Create(CultureInfo.InvariantCulture, $" **{r.Milliseconds / theirs.Milliseconds:0.00}** | **{r.CpuMilliseconds / theirs.CpuMilliseconds:0.00}** |");
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| {partitions:N0} | {client} | {r.Milliseconds:0.0} | {r.CpuMilliseconds:0.0} | {r.AllocatedBytes / 1048576.0:0.0} | {r.Milliseconds * 1000 / partitions:0.00} |{ratios}"));
    }

    private static async Task<MetadataResult> RunOnceAsync(string client, string bootstrap, int iterations, int partitions)
    {
        using var run = Orchestrator.Start(string.Create(CultureInfo.InvariantCulture, $"--run-metadata {client} {bootstrap} {iterations} {partitions}"));
        var output = await run.StandardOutput.ReadToEndAsync();
        var errors = await run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();
        var result = output.Split('\n').Select(l => MetadataResult.Parse(l.Trim())).FirstOrDefault(r => r is not null);
        return result ?? throw new InvalidOperationException($"The {client} metadata run failed (exit {run.ExitCode}):{Environment.NewLine}{output}{errors}");
    }

    /// <summary>One measured run: <c>--run-metadata client bootstrap iterations partitions</c>.</summary>
    public static async Task<int> RunSingleAsync(string[] args)
    {
        var client = args[0];
        var bootstrap = args[1];
        var iterations = int.Parse(args[2], CultureInfo.InvariantCulture);
        var partitions = int.Parse(args[3], CultureInfo.InvariantCulture);
        Func<Task<int>> refresh;
        IAsyncDisposable? owned = null;
        IDisposable? confluent = null;
        if (client == "confluent")
        {
            var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap, SocketNagleDisable = true }).Build();
            confluent = admin;
            refresh = () =>
            {
                var metadata = admin.GetMetadata(TimeSpan.FromSeconds(60));
                var led = 0;
                foreach (var topic in metadata.Topics)
                {
                    foreach (var partition in topic.Partitions)
                    {
                        if (partition.Leader >= 0 && partition.Replicas.Length > 0)
                        {
                            led++;
                        }
                    }
                }
                return Task.FromResult(led);
            };
        }
        else
        {
            var ours = new KafkaClient(new KafkaClientOptions { Hosts = bootstrap });
            owned = ours;
            var held = client == "kafka-hosting-held" ? new List<Kafka.Client.Topic>() : null;
            refresh = async () =>
            {
                await ours.UpdateClusterAsync();
                var led = 0;
                held?.Clear();
                foreach (var topic in ours.Topics.Values)
                {
                    held?.Add(topic);
                    foreach (var partition in topic.Partitions.Values)
                    {
                        if (partition.Leader is not null && partition.Replicas.Count > 0)
                        {
                            led++;
                        }
                    }
                }
                return led;
            };
        }

        var wall = new List<double>();
        var cpu = new List<double>();
        var allocated = new List<long>();
        for (var i = 0; i < iterations + 3; i++)
        {
            // Garbage from the previous refresh (and, for the build case, the topics nobody holds) is collected
            // outside the measured window, the same for every client.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var stopwatch = Stopwatch.StartNew();
            var led = await refresh();
            stopwatch.Stop();
            var cpuAfter = Process.GetCurrentProcess().TotalProcessorTime;
            if (led != partitions)
            {
                throw new InvalidOperationException($"{client}: {led} partitions with a leader and replicas, {partitions} expected.");
            }
            if (i >= 3)
            {
                wall.Add(stopwatch.Elapsed.TotalMilliseconds);
                cpu.Add((cpuAfter - cpuBefore).TotalMilliseconds);
                allocated.Add(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore);
            }
        }
        if (owned is not null)
        {
            await owned.DisposeAsync();
        }
        confluent?.Dispose();
        Console.Out.WriteLine(new MetadataResult(client, wall.Order().ElementAt(wall.Count / 2), cpu.Order().ElementAt(cpu.Count / 2),
            allocated.Order().ElementAt(allocated.Count / 2)).ToLine());
        return 0;
    }

    private static string? OptionText(List<string> args, string name)
    {
        var i = args.IndexOf(name);
        return i >= 0 && i + 1 < args.Count ? args[i + 1] : null;
    }

    private static double Option(List<string> args, string name, double fallback) =>
        OptionText(args, name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private sealed record MetadataResult(string Client, double Milliseconds, double CpuMilliseconds, long AllocatedBytes)
    {
        public string ToLine() => string.Create(CultureInfo.InvariantCulture, $"METADATA {Client} {Milliseconds:R} {CpuMilliseconds:R} {AllocatedBytes}");

        public static MetadataResult? Parse(string line)
        {
            var parts = line.Split(' ');
            if (parts.Length != 5 || parts[0] != "METADATA")
            {
                return null;
            }
            var c = CultureInfo.InvariantCulture;
            return new MetadataResult(parts[1], double.Parse(parts[2], c), double.Parse(parts[3], c), long.Parse(parts[4], c));
        }
    }
}
