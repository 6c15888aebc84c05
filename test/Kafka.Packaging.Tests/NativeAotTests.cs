using System.Text;
using Confluent.Kafka;
using Kafka.Packaging.Tests.Support;
using Kafka.Testing;

namespace Kafka.Packaging.Tests;

/// <summary>
/// The libraries' IsAotCompatible, proved: the smoke worker (client, hosting, a producer, a hosted consumer,
/// configuration binding), referencing the packages, is published as native AOT with trimming and AOT warnings as
/// errors, and the native executable runs against a mock cluster this test starts. Confluent.Kafka, an independent
/// client, puts messages in first (the worker must consume them too) and reads back what the worker produced.
/// </summary>
[TestFixture]
public sealed class NativeAotTests
{
    private const string Topic = "smoke";
    private const int PeerMessages = 5;
    private const int WorkerMessages = 20;

    [Test]
    public async Task The_worker_published_as_native_AOT_with_warnings_as_errors_runs_against_a_mock_cluster()
    {
        using var worker = await WorkerProject.CreateAsync(PackedFeed.Current);
        var output = Path.Combine(worker.Root, "native");
        var publish = await Dotnet.RunAsync(worker.ProjectDirectory, TimeSpan.FromMinutes(20),
            "publish", "-c", "Release", "-r", "linux-x64", "-o", output, "-warnaserror",
            "-p:PublishAot=true", "-p:TrimmerSingleWarn=false", "-p:StripSymbols=true");
        TestContext.Progress.WriteLine($"  native AOT publish: {publish.Elapsed.TotalSeconds:0.0} s");
        Assert.That(publish.Output, Does.Not.Contain("warning"), publish.ToString());
        var executable = Path.Combine(output, WorkerProject.Name);
        Assert.That(File.Exists(executable), Is.True, publish.ToString());
        Assert.That(File.Exists(Path.Combine(output, $"{WorkerProject.Name}.dll")), Is.False, "a native executable, not IL");

        await using var cluster = MockKafkaCluster.Start(brokerCount: 3);
        cluster.CreateTopic(Topic, partitions: 3, replicationFactor: 3);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        var runId = $"aot{Guid.NewGuid():N}";
        var peerValues = Enumerable.Range(0, PeerMessages).Select(i => $"peer-{runId}-{i}").ToList();
        await ProduceWithConfluentAsync(cluster.BootstrapServers, peerValues);

        // The cluster's address comes through the environment, the rest through the command line.
        var run = await ProcessRunner.RunAsync(
            executable,
            [$"--Smoke:RunId={runId}", $"--Smoke:Count={WorkerMessages}", $"--Smoke:Preexisting={PeerMessages}"],
            worker.ProjectDirectory,
            TimeSpan.FromMinutes(5),
            new Dictionary<string, string?> { ["Kafka__Hosts"] = cluster.BootstrapServers });
        TestContext.Progress.WriteLine($"  native worker run: {run.Elapsed.TotalSeconds:0.0} s");

        var workerValues = Enumerable.Range(0, WorkerMessages).Select(i => $"{runId}-{i}").ToList();
        WorkerOutput.AssertCleanRun(run, expected: workerValues.Concat(peerValues));
        Assert.That(run.Output, Does.Not.Contain("embedded cluster"));
        Assert.That(ReadAllWithConfluent(cluster.BootstrapServers, WorkerMessages + PeerMessages), Is.EquivalentTo(workerValues.Concat(peerValues)),
            "Confluent.Kafka reads back every message, the worker's included");
    }

    private static async Task ProduceWithConfluentAsync(string bootstrap, IEnumerable<string> values)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 0 })
            .SetLogHandler((_, _) => { }).Build();
        var index = 0;
        foreach (var value in values)
        {
            await producer.ProduceAsync(Topic, new Message<string, string> { Key = $"peer-{index++}", Value = value });
        }
    }

    private static List<string> ReadAllWithConfluent(string bootstrap, int count)
    {
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "aot-check",
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset(Topic, p, Offset.Beginning)));
        var values = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (values.Count < count && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result?.Message is { } message)
            {
                values.Add(Encoding.UTF8.GetString(message.Value));
            }
        }
        return values;
    }
}
