using Microsoft.Extensions.DependencyInjection;
using static Kafka.Hosting.Tests.Consumers.ConsumerTestKit;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>Partitions side by side, order kept: checked from the handlers' own records, against the mock brokers.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class LaneTests
{
    [Test]
    public async Task Under_concurrency_16_partitions_run_side_by_side_and_each_partition_in_offset_order()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 12, 1);
        var journal = new Journal { Work = TimeSpan.FromMilliseconds(2) };
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddConsumer<JournalHandler>("orders", "billing", Fast);
        });
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", 12, 40);

        await WaitForAsync(() => journal.Count == 480, "every message handled");
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            for (var p = 0; p < 12; p++)
            {
                Assert.That(journal.Started[("orders", p)], Is.EqualTo(Enumerable.Range(0, 40).Select(i => (long)i)), $"partition {p} in offset order, each message once");
                Assert.That(journal.MaxRunningPerPartition[("orders", p)], Is.EqualTo(1), $"partition {p} one message at a time");
            }
            Assert.That(journal.MaxRunning, Is.InRange(2, 16), "partitions side by side, at most MaxConcurrency at once");
            Assert.That(journal.Handled.Values, Is.All.EqualTo(1));
        });
        Assert.That(Committed(cluster, "orders", 12, "billing").Values, Is.All.EqualTo(40), "everything committed on stop");
    }

    [Test]
    public async Task With_Key_ordering_equal_keys_stay_in_order_while_keys_of_one_partition_run_side_by_side()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 2, 1);
        var journal = new Journal { Work = TimeSpan.FromMilliseconds(2) };
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddConsumer<JournalHandler>("orders", "billing", o =>
            {
                Fast(o);
                o.Ordering = MessageOrdering.Key;
            });
        });
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", 2, 120, key: (p, i) => $"k{p}-{i % 8}");

        await WaitForAsync(() => journal.Count == 240, "every message handled");
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(journal.ByKey.Keys, Has.Count.EqualTo(16));
            foreach (var (key, offsets) in journal.ByKey)
            {
                var list = offsets.ToList();
                Assert.That(list.Select(o => o.Offset), Is.Ordered.Ascending.And.Unique, $"key {key} in offset order");
                Assert.That(list, Has.Count.EqualTo(15));
                Assert.That(journal.MaxRunningPerKey[key], Is.EqualTo(1), $"key {key} one message at a time");
            }
            Assert.That(journal.MaxRunningPerPartition.Values, Has.Some.GreaterThan(1), "different keys of a partition side by side");
        });
        Assert.That(Committed(cluster, "orders", 2, "billing").Values, Is.All.EqualTo(120), "a commit never passes a message not handled, and everything was");
    }

    [Test]
    public async Task MaxConcurrency_1_handles_one_message_at_a_time()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 4, 1);
        var journal = new Journal { Work = TimeSpan.FromMilliseconds(1) };
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddConsumer<JournalHandler>("orders", "billing", o =>
            {
                Fast(o);
                o.MaxConcurrency = 1;
                o.Ordering = MessageOrdering.None; // even unordered: one at a time
            });
        });
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", 4, 15);

        await WaitForAsync(() => journal.Count == 60, "every message handled");
        await host.StopAsync();

        Assert.That(journal.MaxRunning, Is.EqualTo(1));
        Assert.That(Committed(cluster, "orders", 4, "billing").Values, Is.All.EqualTo(15));
    }

    [Test]
    public async Task Several_topics_in_one_registration_share_the_group_and_the_lanes()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 3, 1);
        cluster.CreateTopic("refunds", 2, 1);
        var journal = new Journal();
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddConsumer<JournalHandler>(["orders", "refunds"], "billing", Fast);
        });
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", 3, 10);
        await ProduceAsync(cluster, "refunds", 2, 10);

        await WaitForAsync(() => journal.Count == 50, "every message of both topics handled");
        var consumer = Service(host).Consumer!;
        Assert.That(consumer.Topics, Is.EqualTo(new[] { "orders", "refunds" }));
        await host.StopAsync();

        Assert.That(Committed(cluster, "orders", 3, "billing").Values, Is.All.EqualTo(10));
        Assert.That(Committed(cluster, "refunds", 2, "billing").Values, Is.All.EqualTo(10));
    }

    [Test]
    public async Task With_concurrency_a_partition_stopped_by_the_failure_policy_stops_alone_and_dead_letters_do_not_hold_others_back()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 8, 1);
        cluster.CreateTopic("payments", 4, 1);
        cluster.CreateTopic("payments.dlq", 1, 1);
        var journal = new Journal { Work = TimeSpan.FromMilliseconds(1) };
        journal.FailTimes[("orders", 2, 5)] = int.MaxValue;
        journal.FailTimes[("payments", 1, 3)] = int.MaxValue;
        journal.FailTimes[("payments", 3, 0)] = int.MaxValue;
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient()
                .AddConsumer<JournalHandler>("orders", "billing", o =>
                {
                    Fast(o);
                    o.HandlerMaxRetryAttempts = 1;
                })
                .AddConsumer<JournalHandler>("payments", "ledger", o =>
                {
                    Fast(o);
                    o.HandlerMaxRetryAttempts = 0;
                    o.Ordering = MessageOrdering.Key;
                    o.FailurePolicy = HandlerFailurePolicy.DeadLetter;
                    o.DeadLetterTopic = "payments.dlq";
                });
        });
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", 8, 20);
        await ProduceAsync(cluster, "payments", 4, 20, key: (p, i) => $"k{p}-{i % 4}");

        await WaitForAsync(() => journal.HandledIn("orders") == 7 * 20 + 5 && journal.HandledIn("payments") == 4 * 20 - 2,
            "every message handled but partition 2 of orders from offset 5, and the two dead-lettered payments");
        await WaitForAsync(() => Committed(cluster, "payments", 4, "ledger").Values.All(o => o == 20), "payments committed past the dead-lettered messages");
        await host.StopAsync();

        var orders = Committed(cluster, "orders", 8, "billing");
        Assert.Multiple(() =>
        {
            Assert.That(journal.Attempts[("orders", 2, 5)], Is.EqualTo(2), "one try and one retry");
            Assert.That(journal.IsHandled("orders", 2, 6), Is.False, "nothing after the message stopped at");
            Assert.That(orders[2], Is.EqualTo(5), "the stopped partition committed up to the failing message");
            Assert.That(orders.Where(kv => kv.Key != 2).Select(kv => kv.Value), Is.All.EqualTo(20));
            Assert.That(journal.Attempts[("payments", 1, 3)], Is.EqualTo(1), "no retries");
        });
    }
}
