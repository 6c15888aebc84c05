using System.Collections.Concurrent;
using Confluent.Kafka;
using Kafka.Client;
using Kafka.Hosting.Internal;
using Kafka.Hosting.Tests.Support;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>What the hosted consumer tests share: a mock cluster, Confluent.Kafka as producer and offset reader, hosts.</summary>
internal static class ConsumerTestKit
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(40);

    public static MockKafkaCluster StartCluster(int brokers = 1, bool completeTransactions = false, bool transactionsV2 = false)
    {
        var cluster = MockKafkaCluster.Start(brokers, completeTransactions: completeTransactions, transactionsV2: transactionsV2);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        return cluster;
    }

    /// <summary>Fast group timings for the mock (see HostedConsumerTests.Configure).</summary>
    public static void Fast(HostedConsumerOptions options)
    {
        options.Consumer.SessionTimeout = TimeSpan.FromSeconds(6);
        options.Consumer.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
        options.Consumer.RebalanceTimeout = TimeSpan.FromSeconds(10);
        options.Consumer.RebalanceBackoff = TimeSpan.FromMilliseconds(200);
        options.Consumer.RebalanceMaxRetries = 20;
        options.Consumer.FetchWaitMax = TimeSpan.FromMilliseconds(50);
        options.Consumer.OffsetsChannelBackoff = TimeSpan.FromMilliseconds(100);
        options.HandlerRetryDelay = TimeSpan.FromMilliseconds(10);
        options.CommitInterval = TimeSpan.FromMilliseconds(200);
    }

    /// <summary>
    /// <see cref="Fast"/> for a host on a fake clock: heartbeats then wait for the fake clock, so the session must
    /// outlast the test in real time (the mock expires members by its own clock).
    /// </summary>
    public static void FakeClock(HostedConsumerOptions options)
    {
        Fast(options);
        options.Consumer.SessionTimeout = TimeSpan.FromMinutes(2);
        options.Consumer.RebalanceTimeout = TimeSpan.FromMinutes(2);
        options.CommitInterval = TimeSpan.FromSeconds(1);
    }

    public static IHost Host(MockKafkaCluster cluster, Action<IServiceCollection> configure, TimeProvider? time = null, LogCapture? logs = null) =>
        TestHosts.Build(TestHosts.FastSettings(cluster.BootstrapServers), configure, time, logs);

    public static HostedConsumerService Service(IHost host) =>
        host.Services.GetServices<IHostedService>().OfType<HostedConsumerService>().Single();

    /// <summary>
    /// Produces <paramref name="perPartition"/> messages to each partition with Confluent.Kafka; keys as <paramref name="key"/>
    /// says. A long <paramref name="lingerMs"/> makes each partition's messages one record batch even on a loaded machine.
    /// </summary>
    public static async Task ProduceAsync(MockKafkaCluster cluster, string topic, int partitions, int perPartition, Func<int, int, string?>? key = null, int start = 0, int lingerMs = 5)
    {
        using var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, LingerMs = lingerMs })
            .SetLogHandler((_, _) => { }).Build();
        var pending = new List<Task>();
        for (var i = start; i < start + perPartition; i++)
        {
            for (var p = 0; p < partitions; p++)
            {
                pending.Add(producer.ProduceAsync(new TopicPartition(topic, p), new Message<string?, string> { Key = key?.Invoke(p, i) ?? $"k{p}", Value = $"v{p}-{i}" }));
            }
        }
        await Task.WhenAll(pending);
    }

    /// <summary>The group's committed offsets as Confluent.Kafka reads them (-1001 where none).</summary>
    public static Dictionary<int, long> Committed(MockKafkaCluster cluster, string topic, int partitions, string group)
    {
        using var reader = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = group })
            .SetLogHandler((_, _) => { }).Build();
        var committed = reader.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(20));
        return committed.ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }

    public static async Task WaitForAsync(Func<bool> condition, string what, LogCapture? logs = null)
    {
        try
        {
            await Eventually.WaitUntilAsync(condition, what, Deadline);
        }
        catch
        {
            foreach (var entry in logs?.Entries.Where(e => e.Category.StartsWith("Kafka", StringComparison.Ordinal)) ?? [])
            {
                TestContext.Out.WriteLine($"{entry.Level} {entry.Category}: {entry.Message}");
            }
            throw;
        }
    }
}

/// <summary>
/// What the handlers of a test did, shared by every handler instance (the handlers are scoped): how many times each
/// message was handled, each partition's order, and how many handlers ran at once. Handlers can be held at a gate.
/// </summary>
internal sealed class Journal
{
    private int _running;
    private int _maxRunning;

    public ConcurrentDictionary<(string Topic, int Partition, long Offset), int> Handled { get; } = new();

    /// <summary>Per topic/partition, offsets in the order their handlers started.</summary>
    public ConcurrentDictionary<(string Topic, int Partition), ConcurrentQueue<long>> Started { get; } = new();

    /// <summary>Per key, offsets in the order their handlers started.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<(int Partition, long Offset)>> ByKey { get; } = new();

    public ConcurrentDictionary<(string Topic, int Partition, long Offset), int> FailTimes { get; } = new();

    public ConcurrentDictionary<(string Topic, int Partition, long Offset), int> Attempts { get; } = new();

    /// <summary>Messages whose handler waits for <see cref="Gate"/> before finishing.</summary>
    public Func<string, int, long, bool> Holds { get; set; } = (_, _, _) => false;

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long every handler awaits (simulated I/O).</summary>
    public TimeSpan Work { get; set; }

    public int MaxRunning => Volatile.Read(ref _maxRunning);

    /// <summary>Per partition, the most of its handlers that ran at once.</summary>
    public ConcurrentDictionary<(string Topic, int Partition), int> MaxRunningPerPartition { get; } = new();

    /// <summary>Per key, the most of its handlers that ran at once.</summary>
    public ConcurrentDictionary<string, int> MaxRunningPerKey { get; } = new();

    private readonly ConcurrentDictionary<(string Topic, int Partition), int> _runningPerPartition = new();
    private readonly ConcurrentDictionary<string, int> _runningPerKey = new();

    public int Running => Volatile.Read(ref _running);

    public int Count => Handled.Count;

    public int HandledIn(string topic) => Handled.Keys.Count(k => k.Topic == topic);

    public bool IsHandled(string topic, int partition, long offset) => Handled.ContainsKey((topic, partition, offset));

    public async Task RecordAsync(string topic, int partition, long offset, string? key, CancellationToken cancellationToken)
    {
        Started.GetOrAdd((topic, partition), _ => new()).Enqueue(offset);
        if (key is not null)
        {
            ByKey.GetOrAdd(key, _ => new()).Enqueue((partition, offset));
        }
        var running = Interlocked.Increment(ref _running);
        int max;
        while (running > (max = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, running, max) != max)
        {
        }
        var inPartition = _runningPerPartition.AddOrUpdate((topic, partition), 1, (_, n) => n + 1);
        MaxRunningPerPartition.AddOrUpdate((topic, partition), inPartition, (_, n) => Math.Max(n, inPartition));
        if (key is not null)
        {
            var inKey = _runningPerKey.AddOrUpdate(key, 1, (_, n) => n + 1);
            MaxRunningPerKey.AddOrUpdate(key, inKey, (_, n) => Math.Max(n, inKey));
        }
        try
        {
            var attempt = Attempts.AddOrUpdate((topic, partition, offset), 1, (_, n) => n + 1);
            if (FailTimes.TryGetValue((topic, partition, offset), out var failures) && attempt <= failures)
            {
                throw new InvalidOperationException($"{topic}/{partition}@{offset} fails (attempt {attempt})");
            }
            if (Holds(topic, partition, offset))
            {
                await Gate.Task.WaitAsync(cancellationToken);
            }
            if (Work > TimeSpan.Zero)
            {
                await Task.Delay(Work, cancellationToken);
            }
            Handled.AddOrUpdate((topic, partition, offset), 1, (_, n) => n + 1);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            _runningPerPartition.AddOrUpdate((topic, partition), 0, (_, n) => n - 1);
            if (key is not null)
            {
                _runningPerKey.AddOrUpdate(key, 0, (_, n) => n - 1);
            }
        }
    }
}

/// <summary>A message handler that records into the <see cref="Journal"/>.</summary>
internal sealed class JournalHandler(Journal journal) : IKafkaMessageHandler
{
    public Task HandleAsync(ConsumedMessage message, CancellationToken cancellationToken) =>
        journal.RecordAsync(message.Topic, message.PartitionId, message.Offset,
            message.IsPartitionKeyNull ? null : System.Text.Encoding.UTF8.GetString(message.PartitionKey.Span), cancellationToken);
}
