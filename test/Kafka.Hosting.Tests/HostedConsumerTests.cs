using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Kafka.Client;
using Kafka.Hosting.Internal;
using Kafka.Hosting.Tests.Support;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Kafka.Hosting.Tests;

/// <summary>AddConsumer: hosted consumer group members in a real generic host, against the mock brokers.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class HostedConsumerTests
{
    [Test]
    public async Task Two_registrations_handle_their_topics_retry_failures_and_stop_a_partition_that_keeps_failing()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 4, 1);
        cluster.CreateTopic("payments", 2, 1);
        var recorder = new Recorder();
        recorder.FailTimes["orders-p1-3"] = 2; // fails twice, then succeeds: retried
        recorder.FailTimes["orders-p2-5"] = int.MaxValue; // always fails: partition 2 stops there
        var logs = new LogCapture();
        using var host = TestHosts.Build(TestHosts.FastSettings(cluster.BootstrapServers), services =>
        {
            services.AddSingleton(recorder);
            services.AddKafkaClient()
                .AddConsumer<RecordingHandler>("orders", "billing", Configure)
                .AddConsumer<RecordingHandler>("payments", "ledger", Configure);
        }, logs: logs);
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", 4, 10);
        await ProduceAsync(cluster, "payments", 2, 10);

        await WaitUntilAsync(() => recorder.Handled.Count(k => k.StartsWith("payments", StringComparison.Ordinal)) >= 20
            && recorder.Handled.Count(k => k.StartsWith("orders-p2", StringComparison.Ordinal)) == 5
            && recorder.Handled.Count(k => k.StartsWith("orders", StringComparison.Ordinal) && !k.StartsWith("orders-p2", StringComparison.Ordinal)) >= 30,
            "every message handled except partition 2 from offset 5", logs);
        await WaitUntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 406), "the partition stopped with an error", logs);
        Assert.That(recorder.Attempts["orders-p1-3"], Is.EqualTo(3), "failed twice, handled on the third attempt");
        Assert.That(recorder.Attempts["orders-p2-5"], Is.EqualTo(4), "one try and three retries");
        Assert.That(recorder.Handled.Any(k => k.StartsWith("orders-p2-6", StringComparison.Ordinal)), Is.False, "nothing after the failing message");

        await host.StopAsync();
        await host.StopAsync(); // twice: harmless

        var committed = await CommittedAsync(cluster, "orders", "billing");
        Assert.That(committed, Is.EqualTo(new Dictionary<int, long> { [0] = 10, [1] = 10, [2] = 5, [3] = 10 }));
        Assert.That(await CommittedAsync(cluster, "payments", "ledger"), Is.EqualTo(new Dictionary<int, long> { [0] = 10, [1] = 10 }));
    }

    [Test]
    public async Task Shutdown_commits_and_leaves_so_the_remaining_member_takes_every_partition_promptly()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 6, 1);
        var recorderA = new Recorder();
        var recorderB = new Recorder();
        using var hostA = BuildHost(cluster, recorderA);
        using var hostB = BuildHost(cluster, recorderB);
        await hostA.StartAsync();
        await hostB.StartAsync();
        var a = Service(hostA);
        var b = Service(hostB);
        await a.StartAsync(CancellationToken.None); // started twice: harmless
        await WaitUntilAsync(() => a.Consumer?.Assignment.Count == 3 && b.Consumer?.Assignment.Count == 3, "the members split the partitions");
        await ProduceAsync(cluster, "orders", 6, 10);
        await WaitUntilAsync(() => recorderA.Handled.Count + recorderB.Handled.Count >= 60, "every message handled");
        // Committed in the background within a commit interval. (Were a commit still due when A leaves, B's commit on
        // revocation would be refused by the mock, which answers REBALANCE_IN_PROGRESS to commits while the group
        // rebalances where Kafka accepts them; B would then handle its messages again: at least once.)
        await WaitUntilAsync(() => b.Consumer?.CommittedOffsets.Values.Sum() == 30 && a.Consumer?.CommittedOffsets.Values.Sum() == 30, "the handled messages committed");

        cluster.StartRequestTracking();
        await hostA.StopAsync();
        // The member left the group as it stopped (LeaveGroup), rather than being dropped when its session expired: the
        // rebalance that gives B every partition starts at once. (Checked from the brokers' side, not by timing it.)
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == 13), Is.EqualTo(1), "one LeaveGroup, from the stopping member");
        await WaitUntilAsync(() => b.Consumer?.Assignment.Count == 6, "the remaining member owns every partition");
        await a.StartAsync(CancellationToken.None); // a stopped service does not start again
        await a.StopAsync(CancellationToken.None);
        Assert.That(a.Consumer, Is.Null);

        await AssertTheRemainingMemberCarriesOnAsync(cluster, recorderA, recorderB, "the leaving member committed what it handled");
        await hostB.StopAsync();
    }

    [Test]
    public async Task Hosted_members_on_the_consumer_group_protocol_from_configuration_split_hand_over_and_commit()
    {
        await using var cluster = StartCluster();
        cluster.SetConsumerGroupHeartbeatInterval(TimeSpan.FromMilliseconds(200));
        cluster.CreateTopic("orders", 6, 1);
        var recorderA = new Recorder();
        var recorderB = new Recorder();
        IHost Build(Recorder recorder)
        {
            var settings = TestHosts.FastSettings(cluster.BootstrapServers);
            settings["Kafka:Consumers:billing:Group"] = "billing";
            settings["Kafka:Consumers:billing:Topics"] = "orders";
            settings["Kafka:Consumers:billing:GroupProtocol"] = "Consumer";
            return TestHosts.Build(settings, services =>
            {
                services.AddSingleton(recorder);
                services.AddKafkaClient().AddConsumer<RecordingHandler>("billing", Configure);
            });
        }
        using var hostA = Build(recorderA);
        using var hostB = Build(recorderB);
        cluster.StartRequestTracking();
        await hostA.StartAsync();
        await hostB.StartAsync();
        var a = Service(hostA);
        var b = Service(hostB);
        await WaitUntilAsync(() => a.Consumer?.Assignment.Count == 3 && b.Consumer?.Assignment.Count == 3, "the members split the partitions");
        await ProduceAsync(cluster, "orders", 6, 10);
        await WaitUntilAsync(() => recorderA.Handled.Count + recorderB.Handled.Count >= 60, "every message handled");
        await WaitUntilAsync(() => b.Consumer?.CommittedOffsets.Values.Sum() == 30 && a.Consumer?.CommittedOffsets.Values.Sum() == 30, "the handled messages committed");
        var requests = cluster.GetRequests();
        Assert.That(requests.Count(r => r.ApiKey == 68), Is.Positive, "ConsumerGroupHeartbeat");
        Assert.That(requests.Count(r => r.ApiKey is 11 or 14), Is.Zero, "no JoinGroup or SyncGroup");

        await hostA.StopAsync();
        await WaitUntilAsync(() => b.Consumer?.Assignment.Count == 6, "the remaining member owns every partition");
        await AssertTheRemainingMemberCarriesOnAsync(cluster, recorderA, recorderB, "the leaving member committed what it handled");
        await hostB.StopAsync();
    }

    [Test]
    public async Task A_group_protocol_that_is_not_one_fails_the_start_naming_the_key()
    {
        var settings = TestHosts.FastSettings("127.0.0.1:1");
        settings["Kafka:Consumers:billing:Group"] = "billing";
        settings["Kafka:Consumers:billing:Topics"] = "orders";
        settings["Kafka:Consumers:billing:GroupProtocol"] = "Eager";
        settings["Kafka:Consumers:billing:Consumer:ServerAssignor"] = "uniform";
        using var host = TestHosts.Build(settings, services =>
        {
            services.AddSingleton(new Recorder());
            services.AddKafkaClient().AddConsumer<RecordingHandler>("billing");
        });
        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(error!.Message, Does.Contain("Kafka:Consumers:billing:GroupProtocol: 'Eager' is not one of Classic, Consumer")
            .And.Contain("ServerAssignor is for GroupProtocol Consumer"));
        await Task.CompletedTask;
    }

    [Test]
    public async Task With_SkipMessage_a_message_whose_handler_keeps_failing_is_committed_past()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 1, 1);
        var recorder = new Recorder();
        recorder.FailTimes["orders-p0-2"] = int.MaxValue;
        using var host = TestHosts.Build(TestHosts.FastSettings(cluster.BootstrapServers), services =>
        {
            services.AddSingleton(recorder);
            services.AddKafkaClient().AddConsumer<RecordingHandler>("orders", "billing", o =>
            {
                ConfigureSingleMember(o);
                o.HandlerMaxRetryAttempts = 1;
                o.FailurePolicy = HandlerFailurePolicy.SkipMessage;
            });
        });
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", 1, 5);

        await WaitUntilAsync(() => recorder.Handled.Count == 4, "every message but the failing one handled");
        await WaitUntilCommittedAsync(host, "orders", 0, 5);
        await host.StopAsync();

        Assert.That(recorder.Handled, Is.EqualTo(new[] { "orders-p0-0", "orders-p0-1", "orders-p0-3", "orders-p0-4" }));
        Assert.That(recorder.Attempts["orders-p0-2"], Is.EqualTo(2));
        Assert.That(await CommittedAsync(cluster, "orders", "billing"), Is.EqualTo(new Dictionary<int, long> { [0] = 5 }));
    }

    [Test]
    public async Task With_DeadLetter_a_message_whose_handler_keeps_failing_is_forwarded_with_its_origin_and_committed_past()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 1, 1);
        cluster.CreateTopic("orders-failed", 1, 1);
        var recorder = new Recorder();
        recorder.FailTimes["orders-p0-2"] = int.MaxValue;
        var logs = new LogCapture();
        using var host = TestHosts.Build(TestHosts.FastSettings(cluster.BootstrapServers), services =>
        {
            services.AddSingleton(recorder);
            services.AddKafkaClient().AddConsumer<RecordingHandler>("orders", "billing", o =>
            {
                ConfigureSingleMember(o);
                o.HandlerMaxRetryAttempts = 1;
                o.FailurePolicy = HandlerFailurePolicy.DeadLetter;
                o.DeadLetterTopic = "orders-failed";
            });
        }, logs: logs);
        await host.StartAsync();
        var timestamp = new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.Zero);
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, LingerMs = 0 })
            .SetLogHandler((_, _) => { }).Build())
        {
            for (var i = 0; i < 5; i++)
            {
                await producer.ProduceAsync(new TopicPartition("orders", 0), new Message<string, string>
                {
                    Key = "k0",
                    Value = $"v{i}",
                    Timestamp = new Timestamp(timestamp.AddSeconds(i)),
                    Headers = new Headers { { "trace", Encoding.UTF8.GetBytes($"t{i}") } },
                });
            }
        }

        await WaitUntilAsync(() => recorder.Handled.Count == 4, "every message but the failing one handled", logs);
        await WaitUntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 409), "the message forwarded with an error logged", logs);
        await WaitUntilCommittedAsync(host, "orders", 0, 5, logs);
        await host.StopAsync();

        Assert.That(recorder.Handled, Is.EqualTo(new[] { "orders-p0-0", "orders-p0-1", "orders-p0-3", "orders-p0-4" }));
        Assert.That(recorder.Attempts["orders-p0-2"], Is.EqualTo(2), "one try and one retry before forwarding");
        Assert.That(await CommittedAsync(cluster, "orders", "billing"), Is.EqualTo(new Dictionary<int, long> { [0] = 5 }));

        var forwarded = ReadAll(cluster, "orders-failed");
        Assert.That(forwarded, Has.Count.EqualTo(1), "forwarded once");
        var message = forwarded[0].Message;
        Assert.That(message.Key, Is.EqualTo("k0"));
        Assert.That(message.Value, Is.EqualTo("v2"));
        Assert.That(message.Timestamp.UnixTimestampMs, Is.EqualTo(timestamp.AddSeconds(2).ToUnixTimeMilliseconds()));
        var headers = message.Headers.Select(h => (h.Key, Value: Encoding.UTF8.GetString(h.GetValueBytes()))).ToList();
        Assert.That(headers, Is.EqualTo(new[]
        {
            ("trace", "t2"),
            (DeadLetterHeaderNames.Topic, "orders"),
            (DeadLetterHeaderNames.Partition, "0"),
            (DeadLetterHeaderNames.Offset, "2"),
            (DeadLetterHeaderNames.Group, "billing"),
            (DeadLetterHeaderNames.Error, "System.InvalidOperationException: orders-p0-2 fails (attempt 2)"),
        }));
    }

    [Test]
    public async Task With_DeadLetter_a_refused_forward_stops_the_partition_at_the_message()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 1, 1);
        cluster.CreateTopic("orders-failed", 1, 1);
        var recorder = new Recorder();
        recorder.FailTimes["orders-p0-2"] = int.MaxValue;
        await ProduceAsync(cluster, "orders", 1, 5);
        cluster.PushRequestErrors(0, 29, 29, 29, 29); // Produce: TOPIC_AUTHORIZATION_FAILED, which is not retried
        var logs = new LogCapture();
        using var host = TestHosts.Build(TestHosts.FastSettings(cluster.BootstrapServers), services =>
        {
            services.AddSingleton(recorder);
            services.AddKafkaClient().AddConsumer<RecordingHandler>("orders", "billing", o =>
            {
                Configure(o);
                o.HandlerMaxRetryAttempts = 0;
                o.FailurePolicy = HandlerFailurePolicy.DeadLetter;
                o.DeadLetterTopic = "orders-failed";
            });
        }, logs: logs);
        await host.StartAsync();

        await WaitUntilAsync(() => logs.Entries.Any(e => e.EventId.Id == 410), "the failed forward logged as an error", logs);
        // Once its lane is stopped at the message, nothing of the partition starts any more.
        await WaitUntilAsync(() => Service(host).Session?.Lanes.SingleOrDefault()?.StoppedAt == 2, "the partition stopped at the message", logs);
        await host.StopAsync();
        cluster.ClearRequestErrors(0);

        Assert.That(recorder.Handled, Is.EqualTo(new[] { "orders-p0-0", "orders-p0-1" }), "nothing after the message");
        Assert.That(logs.Entries.Any(e => e.EventId.Id == 409), Is.False);
        Assert.That(await CommittedAsync(cluster, "orders", "billing"), Is.EqualTo(new Dictionary<int, long> { [0] = 2 }), "the message stays uncommitted");
    }

    [Test]
    public async Task DeadLetter_without_a_topic_or_to_the_consumed_topic_fails_the_start_naming_the_option()
    {
        foreach (var (deadLetterTopic, expected) in new[] { ((string?)null, "DeadLetterTopic: must be set"), (" ", "DeadLetterTopic: must be set"), ("orders", "DeadLetterTopic: must differ") })
        {
            using var host = TestHosts.Build(TestHosts.FastSettings("127.0.0.1:1"), services =>
            {
                services.AddSingleton(new Recorder());
                services.AddKafkaClient().AddConsumer<RecordingHandler>("orders", "billing", o =>
                {
                    o.FailurePolicy = HandlerFailurePolicy.DeadLetter;
                    o.DeadLetterTopic = deadLetterTopic;
                });
            });
            var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
            Assert.That(error!.Message, Does.Contain(expected));
        }
        await Task.CompletedTask;
    }

    [Test]
    public async Task Invalid_consumer_options_fail_the_start_naming_each_option()
    {
        using var host = TestHosts.Build(TestHosts.FastSettings("127.0.0.1:1"), services =>
        {
            services.AddSingleton(new Recorder());
            services.AddKafkaClient().AddConsumer<RecordingHandler>("orders", "billing", o =>
            {
                o.HandlerMaxRetryAttempts = -1;
                o.Consumer.SessionTimeout = TimeSpan.Zero;
            });
        });
        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(error!.Message, Does.Contain("HandlerMaxRetryAttempts").And.Contain("Consumer:SessionTimeout"));
        await Task.CompletedTask;
    }

    [Test]
    public async Task Two_hosts_balanced_through_ZooKeeper_share_the_partitions_and_the_one_left_takes_them_all()
    {
        await using var zooKeeper = new ZooKeeperServer();
        await zooKeeper.StartAsync();
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 6, 1);
        var recorderA = new Recorder();
        var recorderB = new Recorder();
        IHost Build(Recorder recorder)
        {
            var settings = TestHosts.FastSettings(cluster.BootstrapServers);
            return TestHosts.Build(settings, services =>
            {
                services.AddSingleton(recorder);
                services.AddKafkaClient().AddConsumer<RecordingHandler>("orders", "billing", o =>
                {
                    Configure(o);
                    o.Consumer.Managed = false;
                    o.Consumer.ZooKeeperHosts = zooKeeper.ConnectString;
                });
            });
        }
        using var hostA = Build(recorderA);
        using var hostB = Build(recorderB);
        await hostA.StartAsync();
        await hostB.StartAsync();
        var a = Service(hostA);
        var b = Service(hostB);
        await WaitUntilAsync(() => a.Consumer?.Assignment.Count == 3 && b.Consumer?.Assignment.Count == 3, "the members split the partitions through ZooKeeper");
        Assert.That(a.Consumer!.IsManaged, Is.False);
        await ProduceAsync(cluster, "orders", 6, 10);
        await WaitUntilAsync(() => recorderA.Handled.Count + recorderB.Handled.Count >= 60, "every message handled");

        await hostA.StopAsync();
        await WaitUntilAsync(() => b.Consumer?.Assignment.Count == 6, "the remaining member owns every partition");
        await AssertTheRemainingMemberCarriesOnAsync(cluster, recorderA, recorderB, "the stopping member committed before it let go");
        await hostB.StopAsync();
    }

    [Test]
    public async Task A_consumer_balanced_through_ZooKeeper_without_ZooKeeper_hosts_fails_the_start_naming_the_option()
    {
        using var host = TestHosts.Build(TestHosts.FastSettings("127.0.0.1:1"), services =>
        {
            services.AddSingleton(new Recorder());
            services.AddKafkaClient().AddConsumer<RecordingHandler>("orders", "billing", o =>
            {
                o.Consumer.Managed = false;
                o.Consumer.MembershipProtocol = new StickyNamedAssignor();
            });
        });
        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.That(error!.Message, Does.Contain("Consumer:ZooKeeperHosts: must be set when Managed is false").And.Contain("Consumer:MembershipProtocol"));
        await Task.CompletedTask;
    }

    private static void Configure(HostedConsumerOptions options)
    {
        options.Consumer.SessionTimeout = TimeSpan.FromSeconds(6);
        options.Consumer.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
        options.Consumer.RebalanceTimeout = TimeSpan.FromSeconds(10);
        options.Consumer.RebalanceBackoff = TimeSpan.FromMilliseconds(200);
        // The mock answers INVALID_REQUEST to a follower whose SyncGroup comes after the leader's (docs/testing.md);
        // on a loaded machine that can happen several rebalances in a row, so a member must not give up early.
        options.Consumer.RebalanceMaxRetries = 20;
        options.Consumer.FetchWaitMax = TimeSpan.FromMilliseconds(50);
        options.Consumer.OffsetsChannelBackoff = TimeSpan.FromMilliseconds(100);
        options.HandlerRetryDelay = TimeSpan.FromMilliseconds(10);
    }

    /// <summary>
    /// <see cref="Configure"/> for a test whose single member must keep its partitions throughout (it counts attempts
    /// and forwards exactly): a session timeout that a loaded machine's stalls cannot run out, so that no rebalance
    /// hands a message to the handler again. Stopping still leaves the group at once.
    /// </summary>
    private static void ConfigureSingleMember(HostedConsumerOptions options)
    {
        Configure(options);
        options.Consumer.SessionTimeout = TimeSpan.FromSeconds(45);
        options.Consumer.RebalanceTimeout = TimeSpan.FromSeconds(45);
    }

    /// <summary>
    /// Waits until the running consumer has committed <paramref name="offset"/> for the partition: commits are made in
    /// the background every commit interval, and one refused (the group rebalancing) is made again at the next.
    /// </summary>
    private static Task WaitUntilCommittedAsync(IHost host, string topic, int partition, long offset, LogCapture? logs = null) =>
        WaitUntilAsync(
            () => Service(host).Consumer?.CommittedOffsets.GetValueOrDefault(new TopicAndPartition(topic, partition), -1) == offset,
            $"offset {offset} of {topic}/{partition} committed",
            logs);

    private static IHost BuildHost(MockKafkaCluster cluster, Recorder recorder, LogCapture? logs = null) =>
        TestHosts.Build(TestHosts.FastSettings(cluster.BootstrapServers), services =>
        {
            services.AddSingleton(recorder);
            services.AddKafkaClient().AddConsumer<RecordingHandler>("orders", "billing", Configure);
        }, logs: logs);

    private static HostedConsumerService Service(IHost host) =>
        host.Services.GetServices<IHostedService>().OfType<HostedConsumerService>().Single();

    private static MockKafkaCluster StartCluster()
    {
        var cluster = MockKafkaCluster.Start(1);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        return cluster;
    }

    private static async Task ProduceAsync(MockKafkaCluster cluster, string topic, int partitions, int perPartition)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, LingerMs = 0 })
            .SetLogHandler((_, _) => { }).Build();
        var pending = new List<Task>();
        for (var i = 0; i < perPartition; i++)
        {
            for (var p = 0; p < partitions; p++)
            {
                pending.Add(producer.ProduceAsync(new TopicPartition(topic, p), new Message<string, string> { Key = $"k{p}", Value = $"v{i}" }));
            }
        }
        await Task.WhenAll(pending);
    }

    private static List<ConsumeResult<string, string>> ReadAll(MockKafkaCluster cluster, string topic)
    {
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "reader", EnableAutoCommit = false })
            .SetLogHandler((_, _) => { }).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var results = new List<ConsumeResult<string, string>>();
        while (consumer.Consume(TimeSpan.FromSeconds(results.Count == 0 ? 10 : 1)) is { } result)
        {
            if (!result.IsPartitionEOF)
            {
                results.Add(result);
            }
        }
        return results;
    }

    /// <summary>
    /// After the host of <paramref name="left"/> stopped and the other took every partition of "orders": the six
    /// partitions are committed at 10, two new messages per partition are handled by <paramref name="remaining"/>, and
    /// no message was handled twice.
    /// </summary>
    private static async Task AssertTheRemainingMemberCarriesOnAsync(MockKafkaCluster cluster, Recorder left, Recorder remaining, string whyNoneTwice)
    {
        Assert.That(await CommittedAsync(cluster, "orders", "billing"), Is.EqualTo(Enumerable.Range(0, 6).ToDictionary(p => p, _ => 10L)));
        await ProduceAsync(cluster, "orders", 6, 2);
        await WaitUntilAsync(() => remaining.Handled.Count(k => k.EndsWith("-10", StringComparison.Ordinal) || k.EndsWith("-11", StringComparison.Ordinal)) == 12,
            "the new messages handled by the remaining member");
        var all = left.Handled.Concat(remaining.Handled).ToList();
        Assert.That(all.Count, Is.EqualTo(all.Distinct().Count()), $"no message handled twice: {whyNoneTwice}");
    }

    private static async Task<Dictionary<int, long>> CommittedAsync(MockKafkaCluster cluster, string topic, string group)
    {
        await using var client = new KafkaClient(new KafkaClientOptions { Hosts = cluster.BootstrapServers });
        await client.UpdateClusterAsync();
        await using var reader = client.Topics[topic].GetSimpleConsumer(new SimpleConsumerOptions { ConsumerGroup = group, ResetOffsetOnFetch = false });
        var offsets = await reader.FetchOffsetsAsync();
        return offsets.ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what, LogCapture? logs = null) =>
        Consumers.ConsumerTestKit.WaitForAsync(condition, what, logs);
}

/// <summary>An assignor with a name ZooKeeper-coordinated groups cannot use.</summary>
internal sealed class StickyNamedAssignor : IPartitionAssignor
{
    public string Name => "sticky";

    public IReadOnlyDictionary<string, IReadOnlyList<TopicAndPartition>> Assign(
        IReadOnlyList<GroupMemberSubscription> members, IReadOnlyDictionary<string, int> partitionsPerTopic) =>
        members.ToDictionary(m => m.MemberId, _ => (IReadOnlyList<TopicAndPartition>)[]);
}

/// <summary>What the handlers of a host did: attempts per message, and the messages handled, as topic-pPartition-offset.</summary>
internal sealed class Recorder
{
    public ConcurrentDictionary<string, int> FailTimes { get; } = new();

    public ConcurrentDictionary<string, int> Attempts { get; } = new();

    public ConcurrentQueue<string> Handled { get; } = new();
}

/// <summary>A handler (scoped) that records each message, failing as the recorder says.</summary>
internal sealed class RecordingHandler(Recorder recorder) : IKafkaMessageHandler
{
    public Task HandleAsync(ConsumedMessage message, CancellationToken cancellationToken)
    {
        var key = $"{message.Topic}-p{message.PartitionId}-{message.Offset}";
        var attempt = recorder.Attempts.AddOrUpdate(key, 1, (_, n) => n + 1);
        if (recorder.FailTimes.TryGetValue(key, out var failures) && attempt <= failures)
        {
            throw new InvalidOperationException($"{key} fails (attempt {attempt})");
        }
        recorder.Handled.Enqueue(key);
        _ = Encoding.UTF8.GetString(message.Value.Span);
        return Task.CompletedTask;
    }
}
