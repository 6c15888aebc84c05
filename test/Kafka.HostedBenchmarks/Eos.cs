using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Kafka.Client;
using Kafka.Hosting;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Kafka.HostedBenchmarks;

/// <summary>
/// The exactly-once case: read an input topic, write one output message per input message, and commit the input
/// offsets in the same transaction. Kafka.Hosting's <c>AddTransactionalConsumer</c> against the consume-transform-produce
/// loop .NET users write with Confluent.Kafka (a transactional producer, <c>SendOffsetsToTransaction</c>, commit), with
/// the same settings: read committed, transactions of what one consume call returns up to <see cref="TransactionSize"/>
/// messages, output produced without awaiting each delivery, linger 5 ms, fetch wait 100 ms. Each pass is a new group
/// and a new output topic; it is measured from the first message handled to the last. After each pass the output is
/// read back with a Confluent.Kafka consumer that reads committed, and the group's committed offsets: exactly one
/// output per input, every input offset committed, or the pass fails.
/// </summary>
internal static class Eos
{
    public const int Partitions = 12;
    public const int PerPartition = 2_000;
    public const int ValueSize = 100;
    public const int TransactionSize = 500;
    private const string Input = "bench-eos-in";
    private const int OutputTopics = 64;

    public static int Messages => Partitions * PerPartition;

    /// <summary>The mock cluster's process: the input topic, the output topics, transactional offsets completed.</summary>
    public static async Task ServeAsync()
    {
        await using var mock = MockKafkaCluster.Start(1, completeTransactions: true);
        mock.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        mock.CreateTopic(Input, partitions: Partitions);
        for (var i = 0; i < OutputTopics; i++)
        {
            mock.CreateTopic(Output(i), partitions: Partitions);
        }
        Console.WriteLine(mock.BootstrapServers);
        Console.Out.Flush();
        await Console.In.ReadToEndAsync();
    }

    private static string Output(int pass) => $"bench-eos-out-{pass}";

    public static async Task RunAsync(string bootstrap, int passes)
    {
        Console.WriteLine($"Exactly-once: {Messages:N0} × {ValueSize} B over {Partitions} partitions, one output per input, transactions of one consume call (at most {TransactionSize}); median of {passes} passes after a warm-up.");
        Console.WriteLine();
        Console.WriteLine("| Case | Client | Messages | Wall ms | msgs/s | CPU µs/msg | Allocated B/msg | msgs/s ratio | CPU ratio | Alloc ratio |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        Producing.Fill(bootstrap, new Case("eos", ValueSize, PerPartition, TimeSpan.Zero), Input);
        var pass = 0;
        var runners = new Func<int, Task<(Result Result, int Transactions)>>[]
        {
            p => HostedAsync(bootstrap, p),
            p => ConfluentAsync(bootstrap, p),
        };
        var names = new[] { "Kafka.Hosting AddTransactionalConsumer", "Confluent.Kafka transactional loop" };
        var results = new List<(Result Result, int Transactions)>[] { [], [] };
        for (var round = 0; round <= passes; round++)
        {
            for (var r = 0; r < runners.Length; r++)
            {
                var current = pass++;
                var result = await runners[r](current);
                Verify(bootstrap, current, names[r], confluent: r == 1);
                if (round > 0)
                {
                    results[r].Add(result); // round 0 warms up (JIT, pools)
                }
            }
        }
        for (var r = 0; r < runners.Length; r++)
        {
            Console.WriteLine($"{names[r]}, each pass: {string.Join(" ", results[r].Select(x => $"{x.Result.Elapsed.TotalMilliseconds:0}ms/{x.Result.CpuMicrosPerMessage:0.00}µs"))}");
        }
        Console.WriteLine();
        var baseline = Result.Median([.. results[1].Select(x => x.Result)]);
        for (var r = 0; r < runners.Length; r++)
        {
            var median = Result.Median([.. results[r].Select(x => x.Result)]);
            var ratios = r == 1
                ? "| | | "
                : $"| **{median.MessagesPerSecond / baseline.MessagesPerSecond:0.00}** | **{median.CpuMicrosPerMessage / baseline.CpuMicrosPerMessage:0.00}** | {median.AllocatedPerMessage / baseline.AllocatedPerMessage:0.00} ";
            Console.WriteLine($"| {ValueSize} B, exactly-once | {names[r]} | {median.Messages:N0} | {median.Elapsed.TotalMilliseconds:N0} | {median.MessagesPerSecond:N0} | {median.CpuMicrosPerMessage:0.000} | {median.AllocatedPerMessage:0.0} {ratios}|");
        }
        Console.WriteLine();
        Console.WriteLine($"Transactions per pass (median pass): Confluent.Kafka loop {results[1].First(x => x.Result == baseline).Transactions:N0}; Kafka.Hosting handler calls (one per partition run; a transaction spans a consume call's runs) {results[0].First(x => x.Result == Result.Median([.. results[0].Select(y => y.Result)])).Transactions:N0}.");
    }

    private static async Task<(Result, int)> HostedAsync(string bootstrap, int pass)
    {
        var tally = new Tally(Messages);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var counter = new TransactionCounter();
        builder.Services.AddSingleton(tally);
        builder.Services.AddSingleton(counter);
        builder.Services.AddSingleton(new OutputTopic(Output(pass)));
        builder.Services.AddKafkaClient(o => o.Hosts = bootstrap)
            .AddTransactionalConsumer<Transform>(Input, $"eos-hosted-{pass}", $"eos-hosted-{pass}", o =>
            {
                o.MaxBatchSize = TransactionSize;
                o.Consumer.FetchWaitMax = TimeSpan.FromMilliseconds(100);
                o.Consumer.FetchMinBytes = 1;
                o.Consumer.FetchMessageMaxBytes = 1024 * 1024;
                o.Consumer.CheckCrcs = true;
                o.Producer.Linger = TimeSpan.FromMilliseconds(5);
            });
        using var host = builder.Build();
        await host.StartAsync();
        await tally.WaitAsync();
        await host.StopAsync();
        return (tally.Result, counter.Count);
    }

    private sealed record OutputTopic(string Name);

    private sealed class TransactionCounter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }

    private sealed class Transform(Tally tally, OutputTopic output, TransactionCounter counter) : IKafkaTransactionalHandler
    {
        public Task HandleAsync(MessageBatch batch, IKafkaTransaction transaction, CancellationToken cancellationToken)
        {
            foreach (var message in batch)
            {
                transaction.Produce(output.Name, message.Value, Key(message.PartitionId, message.Offset));
            }
            tally.Record(batch[0].PartitionId, batch[0].Offset, batch.Count);
            counter.Add();
            return Task.CompletedTask;
        }
    }

    private static byte[] Key(int partition, long offset) => Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{partition}:{offset}"));

    /// <summary>The consume-transform-produce loop with Confluent.Kafka's transactional producer, as its documentation shows it.</summary>
    private static Task<(Result, int)> ConfluentAsync(string bootstrap, int pass) => Task.Run(() =>
    {
        var tally = new Tally(Messages);
        using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            TransactionalId = $"eos-confluent-{pass}",
            LingerMs = 5,
        }).SetLogHandler((_, _) => { }).Build();
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = $"eos-confluent-{pass}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            IsolationLevel = Confluent.Kafka.IsolationLevel.ReadCommitted,
            FetchWaitMaxMs = 100,
            FetchMinBytes = 1,
            MaxPartitionFetchBytes = 1024 * 1024,
            CheckCrcs = true,
        }).SetLogHandler((_, _) => { }).Build();
        producer.InitTransactions(TimeSpan.FromSeconds(30));
        consumer.Subscribe(Input);
        var output = Output(pass);
        var transactions = 0;
        var batch = new List<ConsumeResult<Ignore, byte[]>>(TransactionSize);
        while (tally.Count < Messages)
        {
            var first = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (first is null)
            {
                continue;
            }
            batch.Clear();
            batch.Add(first);
            while (batch.Count < TransactionSize && consumer.Consume(TimeSpan.Zero) is { } next)
            {
                batch.Add(next);
            }
            producer.BeginTransaction();
            foreach (var result in batch)
            {
                producer.Produce(output, new Message<byte[], byte[]> { Key = Key(result.Partition.Value, result.Offset.Value), Value = result.Message.Value });
            }
            foreach (var run in batch.GroupBy(r => r.Partition.Value))
            {
                tally.Record(run.Key, run.First().Offset.Value, run.Count());
            }
            producer.SendOffsetsToTransaction(
                [.. batch.GroupBy(r => r.TopicPartition).Select(g => new TopicPartitionOffset(g.Key, g.Max(r => r.Offset.Value) + 1))],
                consumer.ConsumerGroupMetadata, TimeSpan.FromSeconds(30));
            producer.CommitTransaction(TimeSpan.FromSeconds(30));
            transactions++;
        }
        consumer.Close();
        return (tally.Result, transactions);
    });

    /// <summary>
    /// What a pass delivered, read back by Confluent.Kafka reading committed: exactly one output per input (by its key),
    /// and the group's committed offsets at the end of every input partition.
    /// </summary>
    private static void Verify(string bootstrap, int pass, string client, bool confluent)
    {
        using var reader = new ConsumerBuilder<byte[], Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = $"eos-verify-{pass}",
            IsolationLevel = Confluent.Kafka.IsolationLevel.ReadCommitted,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).SetLogHandler((_, _) => { }).Build();
        reader.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Output(pass), p, Offset.Beginning)));
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var read = 0;
        var open = new HashSet<int>(Enumerable.Range(0, Partitions));
        var deadline = Stopwatch.StartNew();
        while (open.Count > 0 && deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            var result = reader.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }
            if (result.IsPartitionEOF)
            {
                open.Remove(result.Partition.Value);
                continue;
            }
            read++;
            keys.Add(Encoding.ASCII.GetString(result.Message.Key));
        }
        if (read != Messages || keys.Count != Messages)
        {
            throw new InvalidOperationException($"{client}, pass {pass}: {read} outputs read with {keys.Count} distinct inputs, where {Messages} of each were due.");
        }
        var group = $"eos-{(confluent ? "confluent" : "hosted")}-{pass}";
        using var offsets = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group }).SetLogHandler((_, _) => { }).Build();
        var committed = offsets.Committed(Enumerable.Range(0, Partitions).Select(p => new TopicPartition(Input, p)), TimeSpan.FromSeconds(30));
        if (committed.Any(c => c.Offset.Value != PerPartition))
        {
            throw new InvalidOperationException($"{client}, pass {pass}: committed input offsets {string.Join(",", committed.Select(c => c.Offset.Value))}, where {PerPartition} each were due.");
        }
    }
}
