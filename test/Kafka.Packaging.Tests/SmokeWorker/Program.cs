// A worker service that uses Kafka.Hosting as a user would, from the packages only: the package smoke test builds
// it as is and the native AOT test publishes it with trimming and AOT warnings as errors (NativeAotTests).
//
// It produces Smoke:Count messages with a registered producer, consumes the topic through a hosted consumer
// (AddConsumer), and once every expected message has been handled it stops the host and exits 0. Settings come from
// configuration (appsettings.json, environment, command line), bound to SmokeOptions by the source generator.
// With no Kafka:Hosts it starts an in-process MockKafkaCluster from Kafka.Hosting.Testing.
using System.Collections.Concurrent;
using System.Text;
using Kafka.Client;
using Kafka.Hosting;
using Kafka.Testing;
using Microsoft.Extensions.Options;

var builder = Host.CreateApplicationBuilder(args);
var smoke = builder.Configuration.GetSection("Smoke").Get<SmokeOptions>() ?? new SmokeOptions();

MockKafkaCluster? cluster = null;
if (string.IsNullOrEmpty(builder.Configuration["Kafka:Hosts"]))
{
    cluster = MockKafkaCluster.Start(brokerCount: 3);
    cluster.CreateTopic(smoke.Topic, partitions: 3, replicationFactor: 3);
    cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
    builder.Configuration["Kafka:Hosts"] = cluster.BootstrapServers;
    Console.WriteLine($"smoke: embedded cluster at {cluster.BootstrapServers}");
}

builder.Services.AddOptions<SmokeOptions>().Bind(builder.Configuration.GetSection("Smoke"));
builder.Services.AddSingleton<Ledger>();
builder.Services.AddKafkaClient()
    .AddHealthCheck()
    .AddProducer("smoke", smoke.Topic)
    .AddConsumer<LedgerHandler>(smoke.Topic, smoke.Group, o => o.Consumer.FetchWaitMax = TimeSpan.FromMilliseconds(50));
builder.Services.AddHostedService<Driver>();

using (var host = builder.Build())
{
    var ledger = host.Services.GetRequiredService<Ledger>();
    await host.RunAsync(); // returns once the host has stopped, and disposes it
    Console.WriteLine($"smoke: stopped cleanly after handling {ledger.Count} messages");
    if (!ledger.Complete)
    {
        Console.WriteLine("smoke: FAILED: the host stopped before every message was handled");
        Environment.ExitCode = 1;
    }
}

if (cluster is not null)
{
    await cluster.DisposeAsync();
}

/// <summary>The worker's settings ("Smoke" section).</summary>
public sealed class SmokeOptions
{
    public string Topic { get; set; } = "smoke";
    public string Group { get; set; } = "smoke-workers";
    public int Count { get; set; } = 20;
    /// <summary>Messages already in the topic (put there by someone else) that the consumer must see too.</summary>
    public int Preexisting { get; set; }
    public string RunId { get; set; } = "run";
}

/// <summary>What the hosted consumer has handled, by value.</summary>
public sealed class Ledger(IOptions<SmokeOptions> options)
{
    private readonly ConcurrentDictionary<string, byte> _values = new();
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _expected = options.Value.Count + options.Value.Preexisting;

    public int Count => _values.Count;
    public bool Complete => _all.Task.IsCompleted;
    public Task AllHandled => _all.Task;

    public void Record(string value)
    {
        if (_values.TryAdd(value, 0))
        {
            Console.WriteLine($"smoke: consumed {value}");
        }
        if (_values.Count >= _expected)
        {
            _all.TrySetResult();
        }
    }
}

/// <summary>The hosted consumer's handler: each message of the topic, in its own scope.</summary>
public sealed class LedgerHandler(Ledger ledger) : IKafkaMessageHandler
{
    public Task HandleAsync(ConsumedMessage message, CancellationToken cancellationToken)
    {
        ledger.Record(Encoding.UTF8.GetString(message.Value.Span));
        return Task.CompletedTask;
    }
}

/// <summary>Produces the messages once the host runs, waits until all are handled, then stops the host.</summary>
/// <remarks>
/// The producer is resolved here, not injected: the host builds every hosted service before starting any, and a
/// registered producer exists only once the client's hosted services have started (docs/hosting.md, "Producers").
/// </remarks>
public sealed class Driver(
    IServiceProvider services,
    Ledger ledger,
    IOptions<SmokeOptions> options,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var smoke = options.Value;
        var producer = services.GetRequiredKeyedService<Producer>("smoke");
        for (var i = 0; i < smoke.Count; i++)
        {
            var report = await producer.ProduceAsync(
                Encoding.UTF8.GetBytes($"{smoke.RunId}-{i}"), Encoding.UTF8.GetBytes($"key-{i}"), cancellationToken: stoppingToken);
            if (report.Error is not null)
            {
                throw report.Error;
            }
        }
        Console.WriteLine($"smoke: produced {smoke.Count}");
        await ledger.AllHandled.WaitAsync(stoppingToken);
        Console.WriteLine($"smoke: consumed all {ledger.Count}");
        lifetime.StopApplication();
    }
}
