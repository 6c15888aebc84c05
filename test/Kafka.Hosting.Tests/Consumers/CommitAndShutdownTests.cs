using Kafka.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Hosting.Tests.Consumers.ConsumerTestKit;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>Commits coalesced off the handling path, and shutdown with handlers in flight (on a fake clock: no commit interval passes unless the test says so).</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class CommitAndShutdownTests
{
    private const short OffsetCommit = 8;

    [Test]
    public async Task Handled_messages_are_committed_together_once_per_commit_interval_not_per_message()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 4, 1);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var journal = new Journal();
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddConsumer<JournalHandler>("orders", "billing", FakeClock);
        }, time);
        await host.StartAsync();
        await TestHosts.PumpUntilAsync(time, () => Service(host).Consumer?.Assignment.Count == 4, "the member owning the partitions");
        cluster.StartRequestTracking();

        await ProduceAsync(cluster, "orders", 4, 25);
        await WaitForAsync(() => journal.Count == 100, "every message handled");
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == OffsetCommit), Is.Zero, "handling commits nothing by itself");
        Assert.That(Committed(cluster, "orders", 4, "billing").Values, Is.All.EqualTo(0), "the start positions only");

        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(() => Committed(cluster, "orders", 4, "billing").Values.All(o => o == 25), "the interval's commit");
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == OffsetCommit), Is.EqualTo(1), "one commit for the 100 messages of 4 partitions");

        time.Advance(TimeSpan.FromSeconds(1));
        await Task.Yield();
        await host.StopAsync();
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == OffsetCommit), Is.EqualTo(1), "nothing moved, nothing committed again (neither by the interval nor on stop)");
    }

    [Test]
    public async Task Stopping_lets_the_handlers_in_flight_finish_starts_nothing_more_commits_what_was_handled_and_leaves()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 3, 1);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var journal = new Journal { Holds = (_, _, offset) => offset == 2 };
        var logs = new LogCapture();
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddConsumer<JournalHandler>("orders", "billing", FakeClock);
        }, time, logs);
        await host.StartAsync();
        await TestHosts.PumpUntilAsync(time, () => Service(host).Consumer?.Assignment.Count == 3, "the member owning the partitions");
        await ProduceAsync(cluster, "orders", 3, 5);
        await WaitForAsync(() => journal.Running == 3 && journal.Count == 6, "offsets 0 and 1 handled and offset 2 in flight in each partition");
        var service = Service(host);
        var session = service.Session!;

        var stop = host.StopAsync();
        await WaitForAsync(() => session.Lanes.All(l => l.IsClosing), "the lanes closed: nothing more starts");
        Assert.That(stop.IsCompleted, Is.False, "the stop waits for the handlers in flight");
        journal.Gate.SetResult();
        await stop;

        Assert.Multiple(() =>
        {
            Assert.That(journal.Handled.Keys.Select(k => k.Offset).Distinct().Order(), Is.EqualTo(new long[] { 0, 1, 2 }), "the messages in flight finished; 3 and 4 never started");
            Assert.That(Committed(cluster, "orders", 3, "billing").Values, Is.All.EqualTo(3), "what was handled committed on stop");
            Assert.That(logs.Entries.Any(e => e.Message.Contains("left the group", StringComparison.Ordinal)), Is.True);
            Assert.That(service.State, Is.EqualTo(Internal.HostedConsumerState.Stopped));
        });
    }

    [Test]
    public async Task When_the_shutdown_timeout_runs_out_the_handlers_are_cancelled_and_their_messages_stay_uncommitted()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 2, 1);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var journal = new Journal { Holds = (_, _, offset) => offset == 1 };
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddConsumer<JournalHandler>("orders", "billing", FakeClock);
        }, time);
        await host.StartAsync();
        await TestHosts.PumpUntilAsync(time, () => Service(host).Consumer?.Assignment.Count == 2, "the member owning the partitions");
        await ProduceAsync(cluster, "orders", 2, 3);
        await WaitForAsync(() => journal.Running == 2 && journal.Count == 2, "offset 0 handled and offset 1 in flight in each partition");
        var service = Service(host);

        using var shutdown = new CancellationTokenSource();
        var stop = host.StopAsync(shutdown.Token);
        await WaitForAsync(() => service.Session is null || service.Session.Lanes.All(l => l.IsClosing), "the lanes closed");
        await shutdown.CancelAsync(); // the shutdown timeout runs out: the handlers' tokens are cancelled, and the host stops waiting
        try
        {
            await stop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or AggregateException)
        {
            // The host stopped waiting.
        }

        await WaitForAsync(() => journal.Running == 0, "the handlers cancelled");
        Assert.That(journal.Handled.Keys.Select(k => k.Offset).Distinct(), Is.EqualTo(new long[] { 0 }), "nothing else handled");
        Assert.That(Committed(cluster, "orders", 2, "billing").Values, Is.All.InRange(0, 1), "the cancelled messages stay uncommitted");
    }
}
