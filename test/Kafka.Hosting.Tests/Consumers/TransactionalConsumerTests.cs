using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Kafka.Client;
using Kafka.Hosting.Internal;
using Kafka.Hosting.Tests.Support;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static Kafka.Hosting.Tests.Consumers.ConsumerTestKit;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>
/// The hosted exactly-once pipeline (<c>AddTransactionalConsumer</c>) against the mock cluster, its output read back by
/// a Confluent.Kafka consumer that reads committed. The mock lists no aborted transactions in Fetch answers, stores no
/// offsets committed through transactions and does not fence on InitProducerId (docs/testing.md): the tests say where
/// they account for that.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class TransactionalConsumerTests
{
    private const int Partitions = 4;
    private const short InitProducerIdKey = 22;
    private const short AddPartitionsToTxnKey = 24;
    private const short EndTxnKey = 26;
    private const short TxnOffsetCommitKey = 28;
    private const short ProducerFenced = 90;

    [TestCase(false, TestName = "Each_input_message_is_transformed_once_and_its_offsets_commit_with_the_transactions")]
    [TestCase(true, TestName = "Each_input_message_is_transformed_once_and_its_offsets_commit_with_the_transactions_V2")]
    public async Task Each_input_message_is_transformed_once_and_its_offsets_commit_with_the_transactions(bool transactionsV2)
    {
        await using var cluster = StartCluster(completeTransactions: true, transactionsV2: transactionsV2);
        cluster.CreateTopic("orders", Partitions, 1);
        cluster.CreateTopic("invoices", Partitions, 1);
        cluster.StartRequestTracking();
        var work = new Work();
        using var host = Pipeline(cluster, work, "invoicing-0", o => o.MaxBatchSize = 7);
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", Partitions, 10);

        await WaitForAsync(() => work.Handled.Count == Partitions * 10 && Service(host).Session?.Committed > 0, "every order handled");
        var invoices = ReadCommitted(cluster, "invoices", Partitions, expected: Partitions * 10);
        var session = Service(host).Session!;
        var committed = session.Committed;
        await host.StopAsync();

        Assert.That(invoices.Select(i => i.Source), Is.Unique, "one invoice per order");
        Assert.That(invoices.Select(i => i.Source).Order(), Is.EqualTo(work.Handled.Keys.Order()));
        Assert.That(invoices.Select(i => i.Value), Is.All.StartsWith("invoice for v"));
        Assert.That(session.Aborted, Is.Zero);
        Assert.That(committed, Is.GreaterThanOrEqualTo(Partitions * 10 / 7), "a transaction per consume call of at most MaxBatchSize messages");
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == TxnOffsetCommitKey), Is.EqualTo(committed), "the offsets of every transaction sent with it");
        Assert.That(cluster.GetRequests().Where(r => r.ApiKey == EndTxnKey).Select(r => r.ApiVersion), Is.EqualTo(Enumerable.Repeat((short?)(transactionsV2 ? 5 : 1), (int)committed)));
        // Transactions V2 (KIP-890): the produce requests add the partitions; V1 adds them first.
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == AddPartitionsToTxnKey), transactionsV2 ? Is.Zero : Is.GreaterThan(0));
        Assert.That(cluster.TransactionsV2Failures, Is.Empty);
        // The offsets sent with the transactions, stored in the group when they committed (the mock's missing part
        // done by its proxies, docs/testing.md), as Confluent.Kafka reads them back.
        Assert.That(Committed(cluster, "orders", Partitions, "invoicing").Values, Is.All.EqualTo(10));
        Assert.That(cluster.TransactionOffsetFailures, Is.Empty);
    }

    [Test]
    public async Task A_handler_failure_aborts_the_transaction_and_the_batch_is_handled_again()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", Partitions, 1);
        cluster.CreateTopic("invoices", Partitions, 1);
        var work = new Work();
        work.FailOnce.TryAdd("orders/2@3", 0); // fails after producing its invoice: that invoice is in an aborted transaction
        using var host = Pipeline(cluster, work, "invoicing-0");
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", Partitions, 10);

        await WaitForAsync(() => work.Handled.Count == Partitions * 10, "every order handled");
        var session = Service(host).Session!;
        var aborted = session.Aborted;
        var all = ReadCommitted(cluster, "invoices", Partitions, expected: work.Produced);
        await host.StopAsync();

        Assert.That(aborted, Is.EqualTo(1));
        Assert.That(work.Attempts["orders/2@3"], Is.EqualTo(2), "handled again after the abort");
        // The mock lists no aborted transactions, so the aborted attempt's invoices reach even a reader that reads
        // committed here; on Kafka they do not. What the committed transactions wrote is one invoice per order.
        var committed = all.Where(i => i.Attempt == work.Attempts[i.Source]).ToList();
        Assert.That(committed.Select(i => i.Source), Is.Unique);
        Assert.That(committed, Has.Count.EqualTo(Partitions * 10));
        Assert.That(all, Has.Count.EqualTo(work.Produced), "every invoice written is read");
        Assert.That(all.Count(i => i.Attempt < work.Attempts[i.Source]), Is.GreaterThan(0).And.EqualTo(work.Produced - (Partitions * 10)),
            "the rest are the aborted transaction's, each handled again");
    }

    [Test]
    public async Task A_partition_whose_handler_keeps_failing_is_stopped_and_the_others_go_on()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", Partitions, 1);
        cluster.CreateTopic("invoices", Partitions, 1);
        var work = new Work { AlwaysFails = "orders/1@4" };
        using var host = Pipeline(cluster, work, "invoicing-0", o => o.HandlerMaxRetryAttempts = 2, health: true);
        await host.StartAsync();
        // The retries are counted while the member owns the partition (docs/transactions.md): the group settles first.
        await WaitForAsync(() => Session(host)?.Partitions.Count == Partitions, "every partition assigned");
        await ProduceAsync(cluster, "orders", Partitions, 10);

        await WaitForAsync(() => Service(host).Session?.Stopped.Count == 1, "the partition stopped");
        await WaitForAsync(() => Enumerable.Range(0, Partitions).Where(p => p != 1).All(p => Enumerable.Range(0, 10).All(o => work.Handled.ContainsKey($"orders/{p}@{o}"))),
            "the other partitions handled");
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var stopped = Service(host).Session!.Stopped;
        await host.StopAsync();

        Assert.That(stopped, Is.EqualTo(new Dictionary<TopicAndPartition, long> { [new("orders", 1)] = work.FirstOffsetOfFailingRun }));
        Assert.That(work.Attempts["orders/1@4"], Is.EqualTo(3), "the first attempt and two retries, each aborted");
        Assert.That(work.Handled.Keys.Where(k => k.StartsWith("orders/1@", StringComparison.Ordinal)).Select(k => long.Parse(k[9..], System.Globalization.CultureInfo.InvariantCulture)),
            Is.All.LessThan(work.FirstOffsetOfFailingRun), "nothing of the stopped partition past its last committed transaction");
        Assert.That(report.Entries.Single(e => e.Key.Contains("consumer", StringComparison.Ordinal)).Value.Status, Is.EqualTo(HealthStatus.Degraded));
    }

    [Test]
    public async Task A_partition_fetched_in_pieces_is_one_batch_of_its_transaction_and_its_retries_are_counted_from_its_first_offset()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", Partitions, 1);
        cluster.CreateTopic("invoices", Partitions, 1);
        var work = new Work { AlwaysFails = "orders/1@5", HoldPartition = 2 };
        using var host = Pipeline(cluster, work, "invoicing-0", o => o.HandlerMaxRetryAttempts = 2);
        await host.StartAsync();
        await WaitForAsync(() => Session(host)?.Partitions.Count == Partitions, "every partition assigned");
        var consumer = Session(host)!.Consumer!;

        // While a transaction of partition 2 is held, partition 1's messages arrive in two fetches with partition 0's
        // in between: the next consume call takes them as two runs of partition 1 around one of partition 0.
        await ProduceToAsync(cluster, 2, 0, 1);
        await WaitForAsync(() => work.Holding > 0, "a transaction of partition 2 in its handler");
        await ProduceToAsync(cluster, 1, 0, 4);
        await WaitForAsync(() => consumer.GetLag(new("orders", 1)) == 4, "partition 1's first messages fetched");
        await ProduceToAsync(cluster, 0, 0, 3);
        await WaitForAsync(() => consumer.GetLag(new("orders", 0)) == 3, "partition 0's messages fetched");
        await ProduceToAsync(cluster, 1, 4, 6);
        await WaitForAsync(() => consumer.GetLag(new("orders", 1)) == 10, "partition 1's next messages fetched");
        work.Release();

        await WaitForAsync(() => Session(host)?.Stopped.Count == 1, "the partition stopped");
        await WaitForAsync(() => Enumerable.Range(0, 3).All(o => work.Handled.ContainsKey($"orders/0@{o}")), "partition 0 handled");
        var stopped = Session(host)!.Stopped;
        await host.StopAsync();

        var partition1 = work.Calls.Where(c => c.Partition == 1).ToList();
        Assert.That(partition1[0], Is.EqualTo((1, 0L, 9L)), "all of the partition's messages of the transaction in one batch");
        Assert.That(partition1[1].First, Is.Zero, "the abort moved the partition back to its first message of the transaction");
        // A retry may take fewer messages (re-fetched in pieces) and commit those before the failing one: the failures
        // still count against the failing one.
        Assert.That(work.Attempts["orders/1@5"], Is.EqualTo(3), "the first attempt and two retries, each aborted");
        Assert.That(stopped, Is.EqualTo(new Dictionary<TopicAndPartition, long> { [new("orders", 1)] = work.FirstOffsetOfFailingRun }));
        Assert.That(work.FirstOffsetOfFailingRun, Is.LessThanOrEqualTo(5));
        Assert.That(work.Handled.Keys.Where(k => k.StartsWith("orders/1@", StringComparison.Ordinal)).Select(OffsetOf), Is.All.LessThan(work.FirstOffsetOfFailingRun));
    }

    private static async Task ProduceToAsync(MockKafkaCluster cluster, int partition, int start, int count)
    {
        using var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, LingerMs = 5 })
            .SetLogHandler((_, _) => { }).Build();
        for (var i = start; i < start + count; i++)
        {
            await producer.ProduceAsync(new TopicPartition("orders", partition), new Message<string?, string> { Key = $"k{partition}", Value = $"v{partition}-{i}" });
        }
    }

    [Test]
    public async Task Killed_mid_transaction_and_restarted_the_pipeline_writes_one_output_per_input()
    {
        await using var cluster = StartCluster(completeTransactions: true);
        cluster.CreateTopic("orders", Partitions, 1);
        cluster.CreateTopic("invoices", Partitions, 1);
        var first = new Work { HoldFrom = 10, Instance = "a" };
        var host = Pipeline(cluster, first, "invoicing-0");
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", Partitions, 10);
        await WaitForAsync(() => first.Handled.Count == Partitions * 10, "the first instance handling the first orders");
        await WaitForAsync(() => Committed(cluster, "orders", Partitions, "invoicing").Values.All(o => o == 10), "their transactions committed");
        await ProduceAsync(cluster, "orders", Partitions, 10, start: 10);
        await WaitForAsync(() => first.Holding > 0, "the first instance inside a transaction of the next orders");

        host.Dispose(); // killed: not stopped; its open transaction never commits
        var second = new Work { Instance = "b" };
        using var restarted = Pipeline(cluster, second, "invoicing-0");
        await restarted.StartAsync(); // on Kafka, initializing the id also aborts the first instance's transaction
        await WaitForAsync(() => second.Handled.Count == Partitions * 10, "the new instance handling the orders not committed");
        var invoices = ReadCommitted(cluster, "invoices", Partitions, expected: Partitions * 20);
        await restarted.StopAsync();
        first.Release();

        Assert.That(invoices.Select(i => i.Source), Is.Unique, "one invoice per order");
        Assert.That(invoices, Has.Count.EqualTo(Partitions * 20));
        Assert.That(second.Handled.Keys.Select(OffsetOf), Is.All.GreaterThanOrEqualTo(10), "the new instance started from the committed offsets");
        Assert.That(invoices.Where(i => i.Instance == "a").Select(i => OffsetOf(i.Source)), Is.All.LessThan(10));
        Assert.That(cluster.TransactionOffsetFailures, Is.Empty);
    }

    [Test]
    public async Task Partitions_moving_between_two_instances_keep_one_committed_output_per_input()
    {
        await using var cluster = StartCluster(completeTransactions: true);
        cluster.CreateTopic("orders", Partitions, 1);
        cluster.CreateTopic("invoices", Partitions, 1);
        var first = new Work { Instance = "a" };
        var second = new Work { Instance = "b" };
        bool AllHandled(int perPartition) => Enumerable.Range(0, Partitions).All(p => Enumerable.Range(0, perPartition)
            .All(o => first.Handled.ContainsKey($"orders/{p}@{o}") || second.Handled.ContainsKey($"orders/{p}@{o}")));
        bool AllCommitted(long offset) => Committed(cluster, "orders", Partitions, "invoicing").Values.All(o => o == offset);

        // One instance owns every partition.
        using var a = Pipeline(cluster, first, "invoicing-a", o => o.MaxBatchSize = 5);
        await a.StartAsync();
        await ProduceAsync(cluster, "orders", Partitions, 10);
        await WaitForAsync(() => AllHandled(10) && AllCommitted(10), "the first instance handled and committed the first orders");
        var sessionA = Session(a)!;

        // A second instance joins: the group splits the partitions between them.
        using var b = Pipeline(cluster, second, "invoicing-b", o => o.MaxBatchSize = 5);
        await b.StartAsync();
        await WaitForAsync(() => Session(b)?.Partitions.Count > 0 && Session(a)?.Partitions.Count < Partitions, "the partitions split between the instances");
        var sessionB = Session(b)!;
        var movedToB = sessionB.Partitions.Select(p => p.Partition).ToList();
        await ProduceAsync(cluster, "orders", Partitions, 10, start: 10);
        await WaitForAsync(() => AllHandled(20) && AllCommitted(20), "both instances handled and committed the next orders");

        // The first instance leaves: the second takes every partition, from the offsets the first committed.
        await a.StopAsync();
        await WaitForAsync(() => Session(b)?.Partitions.Count == Partitions, "the second instance owns every partition");
        await ProduceAsync(cluster, "orders", Partitions, 10, start: 20);
        await WaitForAsync(() => AllHandled(30) && AllCommitted(30), "the second instance handled and committed the last orders");
        var invoices = ReadCommitted(cluster, "invoices", Partitions, expected: Partitions * 30);
        Assert.That(Session(b), Is.SameAs(sessionB), "the second instance never restarted");
        await b.StopAsync();

        // The mock lists no aborted transactions (so an aborted output would be read here too): none aborted, and
        // every output read is the one committed output of its input.
        Assert.That(sessionA.Aborted + sessionB.Aborted, Is.Zero, "revocations waited for the transactions in progress to commit");
        Assert.That(sessionA.Committed, Is.GreaterThan(0));
        Assert.That(sessionB.Committed, Is.GreaterThan(0));
        Assert.That(invoices.Select(i => i.Source), Is.Unique, "no input handled again after its partition moved");
        Assert.That(invoices.Select(i => i.Source).Order(),
            Is.EqualTo(Enumerable.Range(0, Partitions).SelectMany(p => Enumerable.Range(0, 30).Select(o => $"orders/{p}@{o}")).Order()));
        Assert.That(invoices.Where(i => i.Instance == "b").Select(i => OffsetOf(i.Source)), Is.All.GreaterThanOrEqualTo(10),
            "the second instance started each partition it took at the offsets committed with the first instance's output");
        Assert.That(invoices.Where(i => i.Instance == "a").Select(i => OffsetOf(i.Source)), Is.All.LessThan(20));
        Assert.That(invoices.Where(i => i.Instance == "b" && OffsetOf(i.Source) < 20).Select(i => int.Parse(i.Source[7..i.Source.IndexOf('@', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order(),
            Is.EqualTo(movedToB.Order()), "while both ran, the second instance wrote exactly for the partitions it was given");
        Assert.That(cluster.TransactionOffsetFailures, Is.Empty);
    }

    private static TransactionalSession? Session(IHost host) => Service(host).Session;

    private static long OffsetOf(string source) => long.Parse(source[(source.IndexOf('@', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    [Test]
    public async Task A_zombie_fenced_by_a_newer_instance_stops_for_good_and_its_transaction_never_commits()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", Partitions, 1);
        cluster.CreateTopic("invoices", Partitions, 1);
        var zombie = new Work { HoldFrom = 0, Instance = "a" };
        var logs = new LogCapture();
        using var old = Pipeline(cluster, zombie, "invoicing-0", health: true, logs: logs);
        await old.StartAsync();
        await ProduceAsync(cluster, "orders", Partitions, 10);
        await WaitForAsync(() => zombie.Holding > 0, "the old instance inside a transaction");
        var successor = new Work { Instance = "b" };
        cluster.StartRequestTracking();
        using var newer = Pipeline(cluster, successor, "invoicing-0");
        await newer.StartAsync();
        await WaitForAsync(() => cluster.GetRequests().Any(r => r.ApiKey == InitProducerIdKey), "the new instance initialized");

        // Kafka fences the old producer when the new one initializes the same transactional id; the mock gives the new
        // one another producer id instead, so its refusal of the old one's next request is injected.
        cluster.PushRequestErrors(AddPartitionsToTxnKey, ProducerFenced);
        zombie.Release();

        await WaitForAsync(() => Service(old).Fenced, "the old instance fenced", logs);
        await WaitForAsync(() => successor.Handled.Count == Partitions * 10, "the new instance handling every order", logs);
        var invoices = ReadCommitted(cluster, "invoices", Partitions, expected: Partitions * 10);
        var report = await old.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        await newer.StopAsync();
        await old.StopAsync();

        Assert.That(invoices.Select(i => i.Instance), Is.All.EqualTo("b"), "nothing of the zombie's transaction was written");
        Assert.That(invoices.Select(i => i.Source), Is.Unique);
        Assert.That(Service(old).State, Is.EqualTo(HostedConsumerState.Stopped), "not restarted: the id belongs to the newer instance");
        Assert.That(logs.Entries.Count(e => e.EventId.Id == 434), Is.EqualTo(1));
        Assert.That(report.Entries.Single(e => e.Key.Contains("consumer", StringComparison.Ordinal)).Value.Status, Is.EqualTo(HealthStatus.Unhealthy));
    }

    [Test]
    public void Configuration_is_bound_and_every_problem_fails_the_start_named_by_its_key()
    {
        var settings = TestHosts.FastSettings("127.0.0.1:1");
        const string section = "Kafka:Consumers:invoicing";
        settings[$"{section}:Topics"] = "orders";
        settings[$"{section}:Group"] = "invoicing";
        settings[$"{section}:TransactionTimeout"] = "later";
        settings[$"{section}:Ordering"] = "Key";
        settings[$"{section}:FailurePolicy"] = "SkipMessage";
        settings[$"{section}:TransactionalIdd"] = "x";
        using var host = TestHosts.Build(settings, s => s.AddKafkaClient().AddTransactionalConsumer<InvoiceHandler>("invoicing"));

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        var failures = error!.Failures.ToList();
        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Some.StartsWith($"{section}:TransactionTimeout: 'later' is not a time span"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:TransactionalIdd: is not a setting of a hosted consumer"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:TransactionalId: must be set"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:Ordering: a transactional consumer"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:FailurePolicy: a transactional consumer"));
        });
    }

    [Test]
    public void Configuration_sets_the_transactional_id_and_timeout_and_reads_committed_by_default()
    {
        var settings = TestHosts.FastSettings("127.0.0.1:1");
        const string section = "Kafka:Consumers:invoicing";
        settings[$"{section}:Topics"] = "orders";
        settings[$"{section}:Group"] = "invoicing";
        settings[$"{section}:TransactionalId"] = "invoicing-7";
        settings[$"{section}:TransactionTimeout"] = "00:00:20";
        using var host = TestHosts.Build(settings, s => s.AddKafkaClient().AddTransactionalConsumer<InvoiceHandler>("invoicing"));

        var options = host.Services.GetRequiredService<IOptionsMonitor<TransactionalConsumerOptions>>().Get(Service(host).Registration.OptionsName);

        Assert.That((options.TransactionalId, options.Producer.TransactionTimeout), Is.EqualTo(("invoicing-7", TimeSpan.FromSeconds(20))));
        Assert.That(options.Consumer.IsolationLevel, Is.EqualTo(KafkaIsolationLevel.ReadCommitted));
    }

    [Test]
    public async Task A_registered_transactional_producer_is_initialized_with_the_host_and_its_transactions_commit()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("audit", 1, 1);
        using var host = Host(cluster, s => s.AddKafkaClient().AddTransactionalProducer("audit", "audit-writer-0", o => o.Linger = TimeSpan.Zero));
        await host.StartAsync();
        var producer = host.Services.GetRequiredKeyedService<TransactionalProducer>("audit");

        producer.BeginTransaction(); // no InitTransactionsAsync: the host's start did it
        await producer.ProduceAsync("audit", Encoding.UTF8.GetBytes("entry"), Encoding.UTF8.GetBytes("k"));
        await producer.CommitTransactionAsync();
        var read = ReadCommitted(cluster, "audit", 1, expected: 1, raw: true);
        await host.StopAsync();

        Assert.That(read.Single().Value, Is.EqualTo("entry"));
        Assert.That(producer.TransactionalId, Is.EqualTo("audit-writer-0"));
        Assert.Throws<ProducerDisposedException>(() => producer.BeginTransaction(), "disposed when the host stops");
    }

    private static IHost Pipeline(MockKafkaCluster cluster, Work work, string transactionalId, Action<TransactionalConsumerOptions>? configure = null,
        bool health = false, LogCapture? logs = null) =>
        Host(cluster, s =>
        {
            s.AddSingleton(work);
            var client = s.AddKafkaClient().AddTransactionalConsumer<InvoiceHandler>("orders", "invoicing", transactionalId, o =>
            {
                Fast(o);
                o.Producer.Linger = TimeSpan.Zero;
                o.Producer.RetryBackoff = TimeSpan.FromMilliseconds(20);
                o.Producer.DeliveryTimeout = TimeSpan.FromSeconds(20);
                o.RestartDelay = TimeSpan.FromMilliseconds(200);
                configure?.Invoke(o);
            });
            if (health)
            {
                client.AddHealthCheck();
            }
        }, logs: logs);

    private static TransactionalConsumerService Service(IHost host) =>
        host.Services.GetServices<IHostedService>().OfType<TransactionalConsumerService>().Single();

    /// <summary>
    /// Reads <paramref name="topic"/> from the start with a Confluent.Kafka consumer that reads committed, until
    /// <paramref name="expected"/> messages came and nothing more arrives for a moment.
    /// </summary>
    private static List<Invoice> ReadCommitted(MockKafkaCluster cluster, string topic, int partitions, int expected, bool raw = false)
    {
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "reader",
            IsolationLevel = Confluent.Kafka.IsolationLevel.ReadCommitted,
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var read = new List<Invoice>();
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(read.Count >= expected ? 500 : 200));
            if (result is null)
            {
                if (read.Count >= expected)
                {
                    break; // and nothing more came
                }
                continue;
            }
            var value = Encoding.UTF8.GetString(result.Message.Value);
            string Header(string name) => result.Message.Headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : "";
            read.Add(raw ? new Invoice(value, "", 0, "") : new Invoice(value, Header("source"), int.Parse(Header("attempt"), System.Globalization.CultureInfo.InvariantCulture), Header("instance")));
        }
        Assert.That(read, Has.Count.GreaterThanOrEqualTo(expected), $"reading {topic} with a Confluent.Kafka consumer that reads committed");
        return read;
    }

    private sealed record Invoice(string Value, string Source, int Attempt, string Instance);

    /// <summary>What the handlers did, shared by every handler instance (they are scoped), and what they are told to do.</summary>
    internal sealed class Work
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _holding;
        private int _produced;

        public ConcurrentDictionary<string, int> Handled { get; } = new();

        public ConcurrentDictionary<string, int> Attempts { get; } = new();

        /// <summary>Every handler call: its partition and the first and last offsets of its batch.</summary>
        public ConcurrentQueue<(int Partition, long First, long Last)> Calls { get; } = new();

        /// <summary>Messages whose handler throws once, after producing its output.</summary>
        public ConcurrentDictionary<string, int> FailOnce { get; } = new();

        /// <summary>A message whose handler always throws, after producing its output.</summary>
        public string? AlwaysFails { get; init; }

        public long FirstOffsetOfFailingRun { get; private set; } = -1;

        /// <summary>Handlers of a batch starting at this offset or later wait at a gate before producing anything, until <see cref="Release"/>.</summary>
        public long? HoldFrom { get; init; }

        /// <summary>Handlers of a batch of this partition wait at a gate before producing anything, until <see cref="Release"/>.</summary>
        public int? HoldPartition { get; init; }

        public string Instance { get; init; } = "a";

        public int Holding => Volatile.Read(ref _holding);

        /// <summary>Outputs written, in committed and aborted transactions.</summary>
        public int Produced => Volatile.Read(ref _produced);

        public void Release() => _gate.TrySetResult();

        public async Task HandleAsync(MessageBatch batch, IKafkaTransaction transaction, CancellationToken cancellationToken)
        {
            Calls.Enqueue((batch[0].PartitionId, batch[0].Offset, batch[batch.Count - 1].Offset));
            if (batch[0].Offset >= HoldFrom || batch[0].PartitionId == HoldPartition)
            {
                Interlocked.Increment(ref _holding);
                await _gate.Task.WaitAsync(cancellationToken);
            }
            string? failure = null;
            foreach (var message in batch)
            {
                var source = $"{message.Topic}/{message.PartitionId}@{message.Offset}";
                var attempt = Attempts.AddOrUpdate(source, 1, (_, n) => n + 1);
                var value = "invoice for " + Encoding.UTF8.GetString(message.Value.Span);
                KafkaHeader[] headers =
                [
                    new("source", Encoding.UTF8.GetBytes(source)),
                    new("attempt", Encoding.UTF8.GetBytes(attempt.ToString(System.Globalization.CultureInfo.InvariantCulture))),
                    new("instance", Encoding.UTF8.GetBytes(Instance)),
                ];
                await transaction.ProduceAsync("invoices", Encoding.UTF8.GetBytes(value), message.PartitionKey.ToArray(), headers: headers, cancellationToken: cancellationToken);
                Interlocked.Increment(ref _produced);
                if (source == AlwaysFails || (FailOnce.ContainsKey(source) && attempt == 1))
                {
                    failure = source;
                    FirstOffsetOfFailingRun = batch[0].Offset;
                }
            }
            if (failure is not null)
            {
                throw new InvalidOperationException($"{failure} fails");
            }
            foreach (var message in batch)
            {
                Handled.AddOrUpdate($"{message.Topic}/{message.PartitionId}@{message.Offset}", 1, (_, n) => n + 1);
            }
        }
    }

    internal sealed class InvoiceHandler(Work work) : IKafkaTransactionalHandler
    {
        public Task HandleAsync(MessageBatch batch, IKafkaTransaction transaction, CancellationToken cancellationToken) =>
            work.HandleAsync(batch, transaction, cancellationToken);
    }
}
