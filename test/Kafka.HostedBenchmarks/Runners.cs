using Confluent.Kafka;
using Kafka.Client;
using Kafka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kafka.HostedBenchmarks;

internal interface IRunner
{
    string Name { get; }

    /// <summary>One pass: a new group reads the whole topic; measured from the first message handled to the last.</summary>
    Task<Result> RunAsync();
}

/// <summary>The work a handler does, the same for every client: nothing, or awaiting the case's simulated I/O.</summary>
internal sealed class Work(Tally tally, Case benchmark)
{
    public Tally Tally { get; } = tally;

    public ValueTask DoAsync(CancellationToken cancellationToken) =>
        benchmark.HandlerDelay == TimeSpan.Zero ? default : new ValueTask(Task.Delay(benchmark.HandlerDelay, cancellationToken));
}

/// <summary>A hosted consumer (AddConsumer, or AddBatchConsumer) in a generic host, with its defaults.</summary>
internal sealed class HostedRunner(string bootstrap, Case benchmark, bool batch) : IRunner
{
    private int _pass;

    public string Name => batch ? "Kafka.Hosting AddBatchConsumer" : "Kafka.Hosting AddConsumer";

    public async Task<Result> RunAsync()
    {
        var tally = new Tally(benchmark.Messages);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (Environment.GetEnvironmentVariable("BENCH_LOG") == "1")
        {
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
            builder.Logging.AddProvider(new StderrLogs());
        }
        builder.Services.AddSingleton(new Work(tally, benchmark));
        var client = builder.Services.AddKafkaClient(o => o.Hosts = bootstrap);
        var group = $"hosted-{(batch ? "batch" : "message")}-{benchmark.Topic}-{_pass++}";
        void Configure(HostedConsumerOptions o)
        {
            // The same as the Confluent.Kafka loop's settings: fetch wait 100 ms, 1 byte minimum, 1 MiB per partition, CRC checks.
            o.Consumer.FetchWaitMax = TimeSpan.FromMilliseconds(100);
            o.Consumer.FetchMinBytes = 1;
            o.Consumer.FetchMessageMaxBytes = 1024 * 1024;
            o.Consumer.CheckCrcs = true;
        }
        if (batch)
        {
            client.AddBatchConsumer<BatchHandler>(benchmark.Topic, group, Configure);
        }
        else
        {
            client.AddConsumer<MessageHandler>(benchmark.Topic, group, Configure);
        }
        using var host = builder.Build();
        await host.StartAsync();
        await tally.WaitAsync();
        await host.StopAsync();
        return tally.Result;
    }

    private sealed class MessageHandler(Work work) : IKafkaMessageHandler
    {
        public Task HandleAsync(ConsumedMessage message, CancellationToken cancellationToken)
        {
            _ = message.Value.Length;
            work.Tally.Record(message.PartitionId, message.Offset);
            var pending = work.DoAsync(cancellationToken);
            return pending.IsCompletedSuccessfully ? Task.CompletedTask : pending.AsTask();
        }
    }

    private sealed class BatchHandler(Work work) : IKafkaBatchHandler
    {
        public async Task HandleAsync(MessageBatch batch, CancellationToken cancellationToken)
        {
            long bytes = 0;
            foreach (var message in batch)
            {
                bytes += message.Value.Length;
            }
            work.Tally.Record(batch[0].PartitionId, batch[0].Offset, batch.Count);
            await work.DoAsync(cancellationToken);
        }
    }
}

/// <summary>
/// The BackgroundService .NET users write with Confluent.Kafka: subscribe, then consume one message at a time with
/// auto-commit (every second, as the hosted consumer commits), a DI scope and a scoped handler per message.
/// </summary>
internal sealed class ConfluentLoopRunner(string bootstrap, Case benchmark) : IRunner
{
    private int _pass;

    public string Name => "Confluent.Kafka BackgroundService loop";

    public async Task<Result> RunAsync()
    {
        var tally = new Tally(benchmark.Messages);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(new Work(tally, benchmark));
        builder.Services.AddScoped<Handler>();
        builder.Services.AddSingleton(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = $"confluent-{benchmark.Topic}-{_pass++}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = true,
            AutoCommitIntervalMs = 1000,
            FetchWaitMaxMs = 100,
            FetchMinBytes = 1,
            MaxPartitionFetchBytes = 1024 * 1024,
            CheckCrcs = true,
        });
        builder.Services.AddSingleton(benchmark);
        builder.Services.AddHostedService<ConsumeLoop>();
        using var host = builder.Build();
        await host.StartAsync();
        await tally.WaitAsync();
        await host.StopAsync();
        return tally.Result;
    }

    private sealed class ConsumeLoop(ConsumerConfig config, Case benchmark, IServiceScopeFactory scopes) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(async () =>
        {
            using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).SetLogHandler((_, _) => { }).Build();
            consumer.Subscribe(benchmark.Topic);
            try
            {
                while (!stoppingToken.IsCancellationRequested)
                {
                    var result = consumer.Consume(stoppingToken);
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<Handler>().HandleAsync(result, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping.
            }
            consumer.Close();
        }, stoppingToken);
    }

    private sealed class Handler(Work work)
    {
        public async ValueTask HandleAsync(ConsumeResult<Ignore, byte[]> result, CancellationToken cancellationToken)
        {
            _ = result.Message.Value.Length;
            work.Tally.Record(result.Partition.Value, result.Offset.Value);
            await work.DoAsync(cancellationToken);
        }
    }
}

/// <summary>
/// The floor for a handler that awaits simulated I/O: the same await (<see cref="Work.DoAsync"/>, the same primitive)
/// with no Kafka at all, one chain per partition side by side, each awaiting once per message of its partition in
/// turn. No consumer that keeps each partition's order can beat it; it is what the 2 ms handler really costs here
/// (a timer-based 2 ms await takes longer than 2 ms, by the timer's resolution and the machine's load).
/// </summary>
internal sealed class AwaitFloorRunner(Case benchmark) : IRunner
{
    public string Name => "the handler's await alone (no Kafka)";

    public async Task<Result> RunAsync()
    {
        var tally = new Tally(benchmark.Messages);
        var work = new Work(tally, benchmark);
        var chains = new Task[Case.Partitions];
        for (var p = 0; p < chains.Length; p++)
        {
            var partition = p;
            chains[p] = Task.Run(async () =>
            {
                for (var offset = 0; offset < benchmark.PerPartition; offset++)
                {
                    tally.Record(partition, offset);
                    await work.DoAsync(CancellationToken.None);
                }
            });
        }
        await Task.WhenAll(chains);
        await tally.WaitAsync();
        return tally.Result;
    }
}
