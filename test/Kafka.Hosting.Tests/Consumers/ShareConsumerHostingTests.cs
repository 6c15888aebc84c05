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
/// Hosted share-group consumers (<c>AddShareConsumer</c>, KIP-932) against the mock's share groups, records written by
/// Confluent.Kafka. The mock's own assignor gives a partition to one member only, so the tests that need several hosts
/// on one partition set the share assignment on the mock (docs/testing.md).
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class ShareConsumerHostingTests
{
    private const string Topic = "jobs";
    private const string Group = "workers";

    private static MockKafkaCluster ShareCluster()
    {
        var cluster = StartCluster();
        cluster.SetShareGroupSettings(heartbeatInterval: TimeSpan.FromMilliseconds(200), startAtEarliest: true, deliveryCountLimit: 10);
        cluster.CreateTopic(Topic, 1, 1);
        return cluster;
    }

    private static IHost ShareHost(MockKafkaCluster cluster, Journal journal, Action<HostedShareConsumerOptions>? configure = null, bool health = false, LogCapture? logs = null) =>
        Host(cluster, services =>
        {
            services.AddSingleton(journal);
            var builder = services.AddKafkaClient().AddShareConsumer<JournalHandler>(Topic, Group, o =>
            {
                o.MaxConcurrency = 4;
                o.HandlerMaxRetryAttempts = 0;
                o.Share.FetchWaitMax = TimeSpan.FromMilliseconds(100);
                o.Share.RetryBackoff = TimeSpan.FromMilliseconds(50);
                configure?.Invoke(o);
            });
            if (health)
            {
                builder.AddHealthCheck();
            }
        }, logs: logs);

    /// <summary>
    /// A Confluent.Kafka producer for the whole test. The mock closes every share session on a broker whenever any
    /// connection to that broker closes (rd_kafka_mock_sharegrps_node_connection_closed) and releases what the members
    /// hold, where Kafka closes only the sessions of the connection that closed; a producer disposed after each batch
    /// would hand records in the handlers' hands out again, with a higher delivery count. (docs/testing.md)
    /// </summary>
    private static Confluent.Kafka.IProducer<string?, string> KeptProducer(MockKafkaCluster cluster) =>
        new Confluent.Kafka.ProducerBuilder<string?, string>(new Confluent.Kafka.ProducerConfig { BootstrapServers = cluster.BootstrapServers, LingerMs = 5 })
            .SetLogHandler((_, _) => { }).Build();

    private static async Task WriteAsync(Confluent.Kafka.IProducer<string?, string> producer, int count, int start = 0)
    {
        var pending = new List<Task>();
        for (var i = start; i < start + count; i++)
        {
            pending.Add(producer.ProduceAsync(new Confluent.Kafka.TopicPartition(Topic, 0), new Confluent.Kafka.Message<string?, string> { Key = "k0", Value = $"v0-{i}" }));
        }
        await Task.WhenAll(pending);
    }

    private static ShareConsumerService ShareService(IHost host) =>
        host.Services.GetServices<IHostedService>().OfType<ShareConsumerService>().Single();

    /// <summary>Gives every running host's member the one partition, as Kafka's share assignor would.</summary>
    private static async Task ShareThePartitionAsync(MockKafkaCluster cluster, LogCapture logs, params IHost[] hosts)
    {
        await WaitForAsync(() => hosts.All(h => ShareService(h).Consumer?.MemberEpoch > 0), "every member joined", logs);
        IReadOnlyList<(string, int)> partition = [(Topic, 0)];
        cluster.SetShareGroupTargetAssignment(Group, hosts.ToDictionary(h => ShareService(h).Consumer!.MemberId, _ => partition));
        await WaitForAsync(() => hosts.All(h => ShareService(h).Consumer?.Assignment.Count == 1), "every member shares the partition", logs);
    }

    [Test]
    public async Task Two_hosts_share_one_partition_handling_records_side_by_side_each_exactly_once()
    {
        await using var cluster = ShareCluster();
        using var producer = KeptProducer(cluster);
        var logs = new LogCapture();
        var journal = new Journal { Work = TimeSpan.FromMilliseconds(20) };
        // Small polls, so that neither member acquires everything at once.
        using var first = ShareHost(cluster, journal, o => o.Share.MaxPollRecords = 5, logs: logs);
        using var second = ShareHost(cluster, journal, o => o.Share.MaxPollRecords = 5, logs: logs);
        await first.StartAsync();
        await second.StartAsync();
        await ShareThePartitionAsync(cluster, logs, first, second);

        await WriteAsync(producer, 100);
        await WaitForAsync(() => journal.Count == 100, "every record handled", logs);
        await WaitForAsync(() => ShareService(first).Counts.Accepted + ShareService(second).Counts.Accepted == 100, "every record accepted", logs);
        await first.StopAsync();
        await second.StopAsync();

        Assert.That(journal.Handled.Values, Is.All.EqualTo(1), "each record handled once");
        Assert.That(journal.Attempts.Values, Is.All.EqualTo(1), "and delivered once");
        Assert.That(journal.MaxRunningPerPartition[(Topic, 0)], Is.GreaterThan(1), "no per-partition order: one partition's records ran side by side");
        Assert.That(ShareService(first).Counts.Accepted, Is.GreaterThan(0));
        Assert.That(ShareService(second).Counts.Accepted, Is.GreaterThan(0), "both hosts worked on the one partition");
    }

    [Test]
    public async Task A_failing_record_is_released_and_retried_and_one_that_keeps_failing_is_rejected_at_the_delivery_limit()
    {
        await using var cluster = ShareCluster();
        using var producer = KeptProducer(cluster);
        var logs = new LogCapture();
        var journal = new Journal();
        journal.FailTimes[(Topic, 0, 2)] = 2;   // fails twice, then works on its third delivery
        journal.FailTimes[(Topic, 0, 5)] = 100; // always fails
        using var host = ShareHost(cluster, journal, o => o.DeliveryAttemptLimit = 3, health: true, logs: logs);
        await host.StartAsync();
        await ShareThePartitionAsync(cluster, logs, host);

        await WriteAsync(producer, 10);
        await WaitForAsync(() => journal.Count == 9 && ShareService(host).Counts.Rejected == 1, "nine records handled, one rejected", logs);
        // More polls go by: the rejected record never comes back.
        await WriteAsync(producer, 1, start: 10);
        await WaitForAsync(() => journal.Count == 10, "a later record handled", logs);
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var counts = ShareService(host).Counts;
        await host.StopAsync();

        Assert.That(journal.Attempts[(Topic, 0, 2)], Is.EqualTo(3), "released twice, handled at the third delivery");
        Assert.That(journal.Attempts[(Topic, 0, 5)], Is.EqualTo(3), "rejected at the third delivery and never delivered again");
        Assert.That(journal.IsHandled(Topic, 0, 5), Is.False);
        Assert.That(counts, Is.EqualTo((10L, 4L, 1L, 0L)), "accepted, released, rejected, dead-lettered");
        Assert.That(report.Entries.Single(e => e.Key.Contains("consumer", StringComparison.Ordinal)).Value.Status, Is.EqualTo(HealthStatus.Healthy));
    }

    [Test]
    public async Task At_the_delivery_limit_a_record_goes_to_the_dead_letter_topic_and_is_accepted()
    {
        await using var cluster = ShareCluster();
        cluster.CreateTopic("jobs-dlq", 1, 1);
        using var producer = KeptProducer(cluster);
        var logs = new LogCapture();
        var journal = new Journal();
        journal.FailTimes[(Topic, 0, 1)] = 100;
        using var host = ShareHost(cluster, journal, o =>
        {
            o.DeliveryAttemptLimit = 2;
            o.FailurePolicy = HandlerFailurePolicy.DeadLetter;
            o.DeadLetterTopic = "jobs-dlq";
        }, logs: logs);
        await host.StartAsync();
        await ShareThePartitionAsync(cluster, logs, host);

        await WriteAsync(producer, 3);
        await WaitForAsync(() => ShareService(host).Counts.DeadLettered == 1 && journal.Count == 2, "two handled, one dead-lettered", logs);
        await host.StopAsync();

        Assert.That(journal.Attempts[(Topic, 0, 1)], Is.EqualTo(2));
        using var reader = new Confluent.Kafka.ConsumerBuilder<string, string>(new Confluent.Kafka.ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers, GroupId = "dlq-reader", AutoOffsetReset = Confluent.Kafka.AutoOffsetReset.Earliest,
        }).SetLogHandler((_, _) => { }).Build();
        reader.Assign(new Confluent.Kafka.TopicPartition("jobs-dlq", 0));
        var dead = reader.Consume(TimeSpan.FromSeconds(20));
        Assert.That(dead?.Message.Value, Is.EqualTo("v0-1"), "the failing record, as it was, in the dead-letter topic");
        Assert.That(dead!.Message.Headers.Select(h => h.Key), Does.Contain(DeadLetterHeaderNames.Topic));
    }

    [Test]
    public void Configuration_problems_fail_the_start_each_named_by_its_key()
    {
        var settings = TestHosts.FastSettings("127.0.0.1:1");
        const string section = "Kafka:Consumers:workers";
        settings[$"{section}:Group"] = Group;
        settings[$"{section}:Topics"] = Topic;
        settings[$"{section}:DeliveryAttemptLimit"] = "0";
        settings[$"{section}:FailurePolicy"] = "StopPartition";
        settings[$"{section}:Share:MaxPollRecords"] = "none";
        settings[$"{section}:Share:FetchWaitMax"] = "-00:00:01";
        settings[$"{section}:Share:AcknowledgementMode"] = "Implicit";
        using var host = TestHosts.Build(settings, s => s.AddKafkaClient().AddShareConsumer<JournalHandler>("workers"));

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        var failures = error!.Failures.ToList();
        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Some.Contains("DeliveryAttemptLimit: 0 is outside 1"));
            Assert.That(failures, Has.Some.Contains("FailurePolicy: a share consumer has no partition to stop"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:Share:MaxPollRecords: 'none' is not a whole number"));
            Assert.That(failures, Has.Some.Contains("Share:FetchWaitMax must be between"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:Share:AcknowledgementMode: is not a setting of Share"));
        });
    }

    [Test]
    public async Task A_named_share_consumer_binds_its_section()
    {
        await using var cluster = ShareCluster();
        using var producer = KeptProducer(cluster);
        var logs = new LogCapture();
        var settings = TestHosts.FastSettings(cluster.BootstrapServers);
        settings["Kafka:Consumers:workers:Group"] = Group;
        settings["Kafka:Consumers:workers:Topics:0"] = Topic;
        settings["Kafka:Consumers:workers:MaxConcurrency"] = "3";
        settings["Kafka:Consumers:workers:DeliveryAttemptLimit"] = "4";
        settings["Kafka:Consumers:workers:Share:MaxPollRecords"] = "7";
        settings["Kafka:Consumers:workers:Share:FetchWaitMax"] = "00:00:00.100";
        var journal = new Journal();
        using var host = TestHosts.Build(settings, s => s.AddSingleton(journal).AddKafkaClient().AddShareConsumer<JournalHandler>("workers"), logs: logs);
        await host.StartAsync();
        await ShareThePartitionAsync(cluster, logs, host);
        await WriteAsync(producer, 5);
        await WaitForAsync(() => journal.Count == 5, "the named consumer handles records", logs);
        var options = host.Services.GetRequiredService<IOptionsMonitor<HostedShareConsumerOptions>>()
            .Get(host.Services.GetServices<HostedConsumerRegistration>().Single().OptionsName);
        await host.StopAsync();

        Assert.That((options.Group, options.MaxConcurrency, options.DeliveryAttemptLimit, options.Share.MaxPollRecords), Is.EqualTo((Group, 3, 4, 7)));
    }
}
