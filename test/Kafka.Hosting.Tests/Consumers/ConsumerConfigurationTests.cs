using System.Reflection;
using Kafka.Client;
using Kafka.Hosting.Internal;
using Kafka.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static Kafka.Hosting.Tests.Consumers.ConsumerTestKit;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>Hosted consumers bound from <c>Kafka:Consumers:{name}</c>: every key, code over configuration, every bad key named.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class ConsumerConfigurationTests
{
    /// <summary>A non-default value for every key a consumer's section can hold.</summary>
    private static readonly Dictionary<string, string> EveryKey = new()
    {
        ["Group"] = "billing",
        ["Topics:0"] = "orders",
        ["Topics:1"] = "refunds",
        ["MaxConcurrency"] = "4",
        ["Ordering"] = "Key",
        ["MaxInFlightMessages"] = "500",
        ["CommitInterval"] = "00:00:02",
        ["DrainTimeout"] = "00:00:07",
        ["MaxBatchSize"] = "50",
        ["MaxBatchWait"] = "00:00:00.020",
        ["HandlerMaxRetryAttempts"] = "2",
        ["HandlerRetryDelay"] = "00:00:00.050",
        ["FailurePolicy"] = "DeadLetter",
        ["DeadLetterTopic"] = "orders.dlq",
        ["RestartDelay"] = "00:00:09",
        ["GroupProtocol"] = "Consumer",
        ["Consumer:ServerAssignor"] = "uniform",
        ["Consumer:TopicRegex"] = "^orders-.*",
        ["Consumer:SessionTimeout"] = "00:00:20",
        ["Consumer:RebalanceTimeout"] = "00:01:00",
        ["Consumer:HeartbeatInterval"] = "00:00:02",
        ["Consumer:RebalanceMaxRetries"] = "7",
        ["Consumer:RebalanceBackoff"] = "00:00:00.300",
        ["Consumer:GroupInstanceId"] = "worker-1",
        ["Consumer:Managed"] = "true",
        ["Consumer:ZooKeeperHosts"] = "zk1:2181",
        ["Consumer:ZooKeeperSessionTimeout"] = "00:00:08",
        ["Consumer:MembershipProtocol"] = "roundrobin",
        ["Consumer:FetchMessageMaxBytes"] = "2097152",
        ["Consumer:NumConsumerFetchers"] = "2",
        ["Consumer:QueuedMaxMessages"] = "3000",
        ["Consumer:FetchMinBytes"] = "10",
        ["Consumer:FetchErrorBackoff"] = "00:00:00.700",
        ["Consumer:FetchWaitMax"] = "00:00:00.200",
        ["Consumer:OffsetsChannelBackoff"] = "00:00:00.400",
        ["Consumer:OffsetsCommitMaxRetries"] = "8",
        ["Consumer:AutoOffsetReset"] = "Latest",
        ["Consumer:ResetOffsetOnStart"] = "true",
        ["Consumer:ResetOffsetOnFetch"] = "false",
        ["Consumer:IsolationLevel"] = "ReadCommitted",
        ["Consumer:CheckCrcs"] = "false",
    };

    [Test]
    public void Every_key_binds_from_the_consumers_section()
    {
        var settings = TestHosts.FastSettings("127.0.0.1:1");
        foreach (var (key, value) in EveryKey)
        {
            settings["Kafka:Consumers:billing:" + key] = value;
        }
        using var host = TestHosts.Build(settings, s => s.AddKafkaClient().AddConsumer<JournalHandler>("billing"));

        var o = Service(host).Options;
        var c = o.Consumer;
        Assert.Multiple(() =>
        {
            Assert.That(o.Group, Is.EqualTo("billing"));
            Assert.That(o.Topics, Is.EqualTo(new[] { "orders", "refunds" }));
            Assert.That((o.MaxConcurrency, o.Ordering, o.MaxInFlightMessages), Is.EqualTo((4, MessageOrdering.Key, 500)));
            Assert.That((o.CommitInterval, o.DrainTimeout), Is.EqualTo((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(7))));
            Assert.That((o.MaxBatchSize, o.MaxBatchWait), Is.EqualTo((50, TimeSpan.FromMilliseconds(20))));
            Assert.That((o.HandlerMaxRetryAttempts, o.HandlerRetryDelay), Is.EqualTo((2, TimeSpan.FromMilliseconds(50))));
            Assert.That((o.FailurePolicy, o.DeadLetterTopic, o.RestartDelay), Is.EqualTo((HandlerFailurePolicy.DeadLetter, "orders.dlq", TimeSpan.FromSeconds(9))));
            Assert.That((c.SessionTimeout, c.RebalanceTimeout, c.HeartbeatInterval), Is.EqualTo((TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(2))));
            Assert.That((c.RebalanceMaxRetries, c.RebalanceBackoff, c.GroupInstanceId), Is.EqualTo((7, TimeSpan.FromMilliseconds(300), "worker-1")));
            Assert.That((c.Managed, c.ZooKeeperHosts, c.ZooKeeperSessionTimeout), Is.EqualTo((true, "zk1:2181", TimeSpan.FromSeconds(8))));
            Assert.That(c.MembershipProtocol, Is.InstanceOf<RoundRobinAssignor>());
            Assert.That((c.GroupProtocol, c.ServerAssignor, c.TopicRegex), Is.EqualTo((GroupProtocol.Consumer, "uniform", "^orders-.*")));
            Assert.That((c.FetchMessageMaxBytes, c.NumConsumerFetchers, c.QueuedMaxMessages, c.FetchMinBytes), Is.EqualTo((2097152, 2, 3000, 10)));
            Assert.That((c.FetchErrorBackoff, c.FetchWaitMax, c.OffsetsChannelBackoff), Is.EqualTo((TimeSpan.FromMilliseconds(700), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400))));
            Assert.That((c.OffsetsCommitMaxRetries, c.AutoOffsetReset, c.ResetOffsetOnStart, c.ResetOffsetOnFetch), Is.EqualTo((8, OffsetType.Latest, true, false)));
            Assert.That((c.IsolationLevel, c.CheckCrcs), Is.EqualTo((KafkaIsolationLevel.ReadCommitted, false)));
        });
    }

    [Test]
    public void Every_setting_has_a_key_and_the_binding_test_covers_it()
    {
        // Code-only: delegates and objects; managed by the hosted consumer: the consumer's own commits, its consume loop, its group.
        string[] notKeys = ["ConfigureHandlerPipeline", "Consumer", "Consumer:PostRebalanceCallback", "Consumer:PartitionsAssigned", "Consumer:PartitionsRevoked",
            "Consumer:PartitionsLost", "Consumer:StoreOffsetsOnConsume", "Consumer:AutoCommitEnable", "Consumer:AutoCommitInterval", "Consumer:ConsumerTimeout",
            "Consumer:ConsumerGroup", "Consumer:Partitions", "Consumer:CompactedTopic",
            "Consumer:GroupProtocol"]; // bound beside Group: Kafka:Consumers:{name}:GroupProtocol
        var settings = Settable(typeof(HostedConsumerOptions), "").Concat(Settable(typeof(BalancedConsumerOptions), "Consumer:")).Except(notKeys).ToList();
        var keys = HostedConsumerConfigurationBinder.Keys.ToList();

        Assert.That(settings.Except(keys, StringComparer.OrdinalIgnoreCase), Is.Empty, "a setting without a configuration key");
        Assert.That(keys.Except(EveryKey.Keys.Select(k => k.Split(':') is ["Topics", _] ? "Topics" : k), StringComparer.OrdinalIgnoreCase), Is.Empty, "a key without a value in EveryKey");
    }

    [Test]
    public void Code_runs_after_binding_and_wins()
    {
        var settings = TestHosts.FastSettings("127.0.0.1:1");
        settings["Kafka:Consumers:billing:Group"] = "billing";
        settings["Kafka:Consumers:billing:Topics"] = "orders, refunds";
        settings["Kafka:Consumers:billing:MaxConcurrency"] = "4";
        settings["Kafka:Consumers:billing:Consumer:SessionTimeout"] = "00:00:20";
        using var host = TestHosts.Build(settings, s => s.AddKafkaClient().AddConsumer<JournalHandler>("billing", o =>
        {
            o.MaxConcurrency = 2;
            o.Consumer.HeartbeatInterval = TimeSpan.FromSeconds(4);
        }));

        var o = Service(host).Options;
        Assert.That(o.Topics, Is.EqualTo(new[] { "orders", "refunds" }), "one comma-separated value");
        Assert.That(o.MaxConcurrency, Is.EqualTo(2));
        Assert.That(o.Consumer.SessionTimeout, Is.EqualTo(TimeSpan.FromSeconds(20)));
        Assert.That(o.Consumer.HeartbeatInterval, Is.EqualTo(TimeSpan.FromSeconds(4)));
    }

    [Test]
    public void Every_bad_key_fails_the_start_in_one_exception_each_named_by_its_configuration_key()
    {
        var settings = TestHosts.FastSettings("127.0.0.1:1", "Kafka:Clients:audit");
        const string section = "Kafka:Clients:audit:Consumers:billing";
        settings[$"{section}:Topics:0"] = "orders";
        settings[$"{section}:MaxConcurrency"] = "lots";
        settings[$"{section}:MaxConcurency"] = "4";
        settings[$"{section}:Ordering"] = "Sideways";
        settings[$"{section}:CommitInterval"] = "00:00:00";
        settings[$"{section}:MaxInFlightMessages"] = "0";
        settings[$"{section}:Consumer:SessionTimeout"] = "soon";
        settings[$"{section}:Consumer:AutoOffsetReset"] = "2";
        settings[$"{section}:Consumer:HeartbeatInterval"] = "00:10:00";
        settings[$"{section}:Consumer:MembershipProtocol"] = "sticky";
        settings[$"{section}:FailurePolicy"] = "DeadLetter";
        using var host = TestHosts.Build(settings, s => s.AddKafkaClient("audit").AddConsumer<JournalHandler>("billing"));

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        var failures = error!.Failures.ToList();
        Assert.Multiple(() =>
        {
            Assert.That(failures, Has.Some.StartsWith($"{section}:MaxConcurrency: 'lots' is not a whole number"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:MaxConcurency: is not a setting of a hosted consumer (did you mean MaxConcurrency?)"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:Ordering: 'Sideways' is not one of Partition, Key, None"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:CommitInterval: must be between"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:MaxInFlightMessages: 0 is outside 1 to 1000000"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:Consumer:SessionTimeout: 'soon' is not a time span"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:Consumer:AutoOffsetReset: '2' is not one of"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:Consumer:HeartbeatInterval"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:Consumer:MembershipProtocol: 'sticky' is not range or roundrobin"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:Group: must be set"));
            Assert.That(failures, Has.Some.StartsWith($"{section}:DeadLetterTopic: must be set when FailurePolicy is DeadLetter"));
            Assert.That(failures, Has.Count.EqualTo(11), string.Join(Environment.NewLine, failures));
        });
    }

    [Test]
    public async Task A_consumer_registered_by_name_consumes_the_topics_and_group_its_section_names()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 2, 1);
        cluster.CreateTopic("refunds", 1, 1);
        var settings = TestHosts.FastSettings(cluster.BootstrapServers);
        settings["Kafka:Consumers:ledger:Group"] = "accounts";
        settings["Kafka:Consumers:ledger:Topics:0"] = "orders";
        settings["Kafka:Consumers:ledger:Topics:1"] = "refunds";
        settings["Kafka:Consumers:ledger:CommitInterval"] = "00:00:00.100";
        settings["Kafka:Consumers:ledger:Consumer:SessionTimeout"] = "00:00:06";
        settings["Kafka:Consumers:ledger:Consumer:HeartbeatInterval"] = "00:00:00.500";
        settings["Kafka:Consumers:ledger:Consumer:RebalanceMaxRetries"] = "20";
        var journal = new Journal();
        using var host = TestHosts.Build(settings, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddConsumer<JournalHandler>("ledger");
        });
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", 2, 5);
        await ProduceAsync(cluster, "refunds", 1, 5);

        await WaitForAsync(() => journal.Count == 15, "every message of both topics handled");
        await WaitForAsync(() => Committed(cluster, "orders", 2, "accounts").Values.All(o => o == 5) && Committed(cluster, "refunds", 1, "accounts")[0] == 5, "committed for the configured group");
        await host.StopAsync();
    }

    private static IEnumerable<string> Settable(Type type, string prefix) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).Select(p => prefix + p.Name);
}
