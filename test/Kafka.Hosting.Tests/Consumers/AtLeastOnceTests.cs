using Kafka.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Kafka.Hosting.Tests.Consumers.ConsumerTestKit;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>
/// At least once under faults: every message handled at least once, and while it runs no committed offset ever
/// passes a message that is not handled (<see cref="CommitWatch"/>), with handlers side by side.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class AtLeastOnceTests
{
    private const int Partitions = 6;

    [Test]
    public async Task Through_rebalances_as_members_join_and_leave()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", Partitions, 1);
        var journal = new Journal { Work = TimeSpan.FromMilliseconds(1) };
        await using var watch = new CommitWatch(cluster, "orders", Partitions, "billing", journal);
        using var hostA = Member(cluster, journal);
        using var hostB = Member(cluster, journal);
        await hostA.StartAsync();
        await ProduceAsync(cluster, "orders", Partitions, 30);
        await WaitForAsync(() => journal.Count >= 60, "the first member handling");

        await hostB.StartAsync(); // a rebalance while messages are in flight
        await ProduceAsync(cluster, "orders", Partitions, 30, start: 30);
        await WaitForAsync(() => Service(hostB).Consumer?.Assignment.Count > 0, "the second member owning partitions");
        await ProduceAsync(cluster, "orders", Partitions, 30, start: 60);
        await hostA.StopAsync(); // and another as the first leaves
        await ProduceAsync(cluster, "orders", Partitions, 30, start: 90);

        await WaitForAsync(() => journal.Count == Partitions * 120, "every message handled at least once");
        await WaitForAsync(() => watch.Verified.All(v => v == 120), "everything committed");
        await hostB.StopAsync();

        Assert.That(watch.Violations, Is.Empty);
        Assert.That(watch.Checks, Is.GreaterThan(10));
    }

    [Test]
    public async Task When_a_member_is_killed_without_leaving_the_other_takes_over_from_the_committed_offsets()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", Partitions, 1);
        var journal = new Journal { Work = TimeSpan.FromMilliseconds(1) };
        await using var watch = new CommitWatch(cluster, "orders", Partitions, "billing", journal);
        using var killed = SeparateMember.Start(cluster.BootstrapServers, "orders", "billing", journal);
        await WaitForAsync(() => killed.Assigned == Partitions, "the separate member owning the partitions");
        using var survivor = Member(cluster, journal);
        await survivor.StartAsync();
        await WaitForAsync(() => killed.Assigned == 3 && Service(survivor).Consumer?.Assignment.Count == 3, "the members splitting the partitions");
        await ProduceAsync(cluster, "orders", Partitions, 40);
        await WaitForAsync(() => journal.Handled.Keys.Count(k => k.Offset >= 20) >= 30, "both members handling");

        killed.Kill(); // mid-handling: no last commit, no LeaveGroup
        await ProduceAsync(cluster, "orders", Partitions, 40, start: 40);

        await WaitForAsync(() => Service(survivor).Consumer?.Assignment.Count == Partitions, "the survivor owning every partition once the killed member's session expired");
        await WaitForAsync(() => journal.Count == Partitions * 80, "every message handled at least once");
        await WaitForAsync(() => watch.Verified.All(v => v == 80), "everything committed");
        await survivor.StopAsync();

        Assert.That(watch.Violations, Is.Empty);
    }

    [Test]
    public async Task While_the_coordinator_is_down_handling_goes_on_and_the_commit_lands_once_it_is_back()
    {
        await using var cluster = StartCluster(brokers: 2);
        cluster.CreateTopic("orders", Partitions, 1);
        for (var p = 0; p < Partitions; p++)
        {
            cluster.SetPartitionLeader("orders", p, 1);
        }
        cluster.SetCoordinator("group", "billing", 2);
        var journal = new Journal();
        var logs = new LogCapture();
        await using var watch = new CommitWatch(cluster, "orders", Partitions, "billing", journal);
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddConsumer<JournalHandler>("orders", "billing", o =>
            {
                Fast(o);
                o.Consumer.SessionTimeout = TimeSpan.FromSeconds(30); // the outage is shorter than a session
                o.Consumer.OffsetsCommitMaxRetries = 1;
            });
        }, logs: logs);
        await host.StartAsync();
        await ProduceAsync(cluster, "orders", Partitions, 10);
        await WaitForAsync(() => watch.Verified.All(v => v == 10), "the first messages committed");

        cluster.SetBrokerDown(2);
        await ProduceAsync(cluster, "orders", Partitions, 20, start: 10);
        await WaitForAsync(() => journal.Count == Partitions * 30, "the messages produced during the outage handled while the coordinator is down", logs);
        await WaitForAsync(() => logs.Entries.Any(e => e.EventId.Id == 408), "the failed commit logged", logs);
        Assert.That(watch.Verified, Is.All.EqualTo(10), "nothing committed while the coordinator is down");

        cluster.SetBrokerUp(2);
        await WaitForAsync(() => watch.Verified.All(v => v == 30), "the commit landed once the coordinator is back", logs);
        await WaitForAsync(() => logs.Entries.Any(e => e.EventId.Id == 412), "the recovery logged", logs);
        await host.StopAsync();

        Assert.That(logs.Entries.Count(e => e.EventId.Id == 408), Is.EqualTo(1), "a streak of failed commits is logged once");
        Assert.That(watch.Violations, Is.Empty);
        Assert.That(journal.Handled.Values, Is.All.EqualTo(1));
    }

    [Test]
    public async Task A_host_restarted_goes_on_from_what_it_committed_when_it_stopped()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", Partitions, 1);
        var journal = new Journal { Work = TimeSpan.FromMilliseconds(1) };
        await using var watch = new CommitWatch(cluster, "orders", Partitions, "billing", journal);
        await ProduceAsync(cluster, "orders", Partitions, 50);
        using (var first = Member(cluster, journal))
        {
            await first.StartAsync();
            await WaitForAsync(() => journal.Count >= 100, "the first host handling");
            await first.StopAsync(); // mid-stream: what it handled is committed as it leaves
        }
        var handledByFirst = journal.Count;
        await ProduceAsync(cluster, "orders", Partitions, 10, start: 50);
        using var second = Member(cluster, journal);
        await second.StartAsync();

        await WaitForAsync(() => journal.Count == Partitions * 60, "every message handled");
        await WaitForAsync(() => watch.Verified.All(v => v == 60), "everything committed");
        await second.StopAsync();

        Assert.That(handledByFirst, Is.LessThan(Partitions * 60));
        Assert.That(journal.Handled.Values, Is.All.EqualTo(1), "the second host started where the first one's commit on stop left off");
        Assert.That(watch.Violations, Is.Empty);
    }

    private static IHost Member(Kafka.Testing.MockKafkaCluster cluster, Journal journal, LogCapture? logs = null) =>
        Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddConsumer<JournalHandler>("orders", "billing", Fast);
        }, logs: logs);
}
