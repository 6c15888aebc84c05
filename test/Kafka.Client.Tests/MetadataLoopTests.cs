using Kafka.Client.Internal;
using Kafka.Client.Protocol;
using Kafka.Client.Tests.Support;
using Kafka.Testing;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests;

/// <summary>
/// The client's one metadata loop, without any host: a bare client refreshes by itself every
/// MetadataRefreshInterval once it has metadata, serves early requests after the minimum gap, backs off after
/// failures and recovers, all on its TimeProvider (a fake clock here, whose due timers run inside Advance).
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class MetadataLoopTests
{
    [Test]
    public async Task A_bare_client_refreshes_in_the_background_every_interval_and_follows_a_moved_leader()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("moves", partitions: 1, replicationFactor: 3);
        var time = new FakeTimeProvider();
        await using var client = NewClient(cluster, o => o.MetadataRefreshInterval = TimeSpan.FromMinutes(2), time: time);
        var start = time.GetUtcNow();

        await client.UpdateClusterAsync(Timeout());
        await WaitForPlanAsync(client, start + TimeSpan.FromMinutes(2));
        var partition = client.Topics["moves"].Partitions[0];
        var newLeader = cluster.BrokerIds.First(id => id != partition.Leader!.Id);
        cluster.SetPartitionLeader("moves", 0, newLeader);

        time.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromTicks(1));
        Assert.That(client.Status.RefreshCount, Is.EqualTo(1), "nothing before the interval");
        Assert.That(client.Status.NextRefresh, Is.EqualTo(start + TimeSpan.FromMinutes(2)));
        time.Advance(TimeSpan.FromTicks(1));

        await WaitUntilAsync(() => Task.FromResult(partition.Leader?.Id == newLeader), "the background refresh to find the moved leader");
        await WaitForPlanAsync(client, start + TimeSpan.FromMinutes(4));
        Assert.That(client.Status.RefreshCount, Is.EqualTo(2));
        Assert.That(client.Status.LastSuccessfulRefresh, Is.EqualTo(start + TimeSpan.FromMinutes(2)));
    }

    [Test]
    public async Task A_client_that_nothing_uses_opens_nothing_and_plans_nothing()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        await using var proxy = new TcpProxy("127.0.0.1", cluster.GetBrokerPort(1));
        var time = new FakeTimeProvider();
        await using var client = NewClient(proxy.Address, time: time);

        time.Advance(TimeSpan.FromHours(1));

        Assert.That(client.Status.NextRefresh, Is.Null);
        Assert.That(client.Status.RefreshCount, Is.Zero);
        Assert.That(proxy.AcceptedCount, Is.Zero);
    }

    [Test]
    public async Task Early_requests_are_coalesced_into_one_refresh_after_the_minimum_gap()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var time = new FakeTimeProvider();
        var logs = new CapturingLoggerFactory();
        await using var client = NewClient(cluster, o => o.MinRefreshGap = TimeSpan.FromSeconds(3), logs, time);
        var start = time.GetUtcNow();
        await client.UpdateClusterAsync(Timeout());
        await WaitForPlanAsync(client, start + TimeSpan.FromMinutes(5));

        client.RequestRefresh("first");
        client.RequestRefresh("second");
        client.Cluster.ReportStaleMetadata("third");
        await WaitForPlanAsync(client, start + TimeSpan.FromSeconds(3));
        Assert.That(client.Status.RefreshCount, Is.EqualTo(1), "not before the minimum gap");
        time.Advance(TimeSpan.FromSeconds(3));

        // One background refresh serves the three requests; the next one is planned an interval after it.
        await WaitForPlanAsync(client, start + TimeSpan.FromSeconds(3) + TimeSpan.FromMinutes(5));
        Assert.That(client.Status.RefreshCount, Is.EqualTo(2));
        Assert.That(logs.Entries.Count(e => e.Contains("[104] Early metadata refresh requested: first", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(logs.Entries.Any(e => e.Contains("requested: second", StringComparison.Ordinal)), Is.False, "requests within one gap are logged once");
    }

    [Test]
    public async Task Failed_refreshes_back_off_with_jitter_log_once_per_streak_and_recover()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var time = new FakeTimeProvider();
        var logs = new CapturingLoggerFactory();
        await using var client = NewClient(cluster, o => o.MinRefreshGap = TimeSpan.FromSeconds(2), logs, time);
        await client.UpdateClusterAsync(Timeout());

        cluster.SetBrokerDown(1);
        client.RequestRefresh("the test");
        var backoffs = new List<TimeSpan>();
        for (var failures = 1; failures <= 4; failures++)
        {
            var expected = failures;
            await DriveAsync(time, client, () => client.Status.ConsecutiveFailures >= expected, $"failure {failures} and the retry planned");
            Assert.That(client.Status.ConsecutiveFailures, Is.EqualTo(failures));
            backoffs.Add(client.Status.NextRefresh!.Value - client.Status.LastFailedRefresh!.Value);
        }

        for (var i = 0; i < backoffs.Count; i++)
        {
            var expected = TimeSpan.FromSeconds(2) * Math.Pow(2, i);
            Assert.That(backoffs[i], Is.InRange(expected * 0.8, expected * 1.2), $"backoff after failure {i + 1}: the gap doubling, ±20%");
        }
        Assert.That(client.Status.LastError, Is.InstanceOf<NoBrokersAvailableException>());
        Assert.That(logs.Entries.Count(e => e.StartsWith("Warning Kafka.Client.MetadataRefresh[101]", StringComparison.Ordinal)), Is.EqualTo(1), "one warning per streak");
        Assert.That(logs.Entries.Count(e => e.StartsWith("Debug Kafka.Client.MetadataRefresh[102]", StringComparison.Ordinal)), Is.EqualTo(3));

        cluster.SetBrokerUp(1);
        await DriveAsync(time, client, () => client.Status.ConsecutiveFailures == 0, "a refresh to succeed again");
        Assert.That(logs.Entries.Count(e => e.StartsWith("Information Kafka.Client.MetadataRefresh[103]", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(client.Status.LastError, Is.Null);
    }

    [Test]
    public async Task A_producer_asks_the_loop_and_delivers_to_the_moved_leader()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("follow", partitions: 1, replicationFactor: 3);
        await using var client = NewClient(cluster, o => o.MinRefreshGap = TimeSpan.FromMilliseconds(50));
        var topic = await client.Topics.GetAsync("follow", Timeout());
        await using var producer = topic.GetProducer(new ProducerOptions { RequiredAcks = RequiredAcks.Leader, RetryBackoff = TimeSpan.FromMilliseconds(20) });
        Assert.That((await producer.ProduceAsync("before"u8.ToArray(), cancellationToken: Timeout())).Offset, Is.Zero);
        var refreshes = client.Status.RefreshCount;

        var newLeader = cluster.BrokerIds.First(id => id != topic.Partitions[0].Leader!.Id);
        cluster.SetPartitionLeader("follow", 0, newLeader);
        var report = await producer.ProduceAsync("after"u8.ToArray(), cancellationToken: Timeout());

        Assert.That(report.Offset, Is.EqualTo(1));
        Assert.That(topic.Partitions[0].Leader!.Id, Is.EqualTo(newLeader));
        Assert.That(client.Status.RefreshCount, Is.GreaterThan(refreshes), "the client's loop refreshed; the producer ran none of its own");
    }

    [Test]
    public async Task Disposing_the_client_ends_the_loop_and_refuses_requests()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());

        await client.DisposeAsync();

        Assert.That(client.Cluster.Metadata.Completion.IsCompleted, Is.True);
        Assert.Throws<ObjectDisposedException>(() => client.RequestRefresh());
        Assert.That(client.Status.NextRefresh, Is.Null);
    }

    [Test]
    public async Task The_status_names_the_seed_and_the_setup_step_a_running_refresh_waits_on()
    {
        // A broker that accepts the connection and never answers: the refresh waits in ApiVersions until the connect budget ends.
        await using var cluster = MockKafkaCluster.Start(1);
        await using var proxy = new TcpProxy("127.0.0.1", cluster.GetBrokerPort(1));
        proxy.StallNextConnections(1);
        var time = new FakeTimeProvider();
        await using var client = NewClient(proxy.Address, o => o.ConnectTimeout = TimeSpan.FromSeconds(10), time: time);
        Assert.That(client.Status.RefreshActivity, Is.Null, "no refresh yet");

        client.RequestRefresh("test");

        await WaitUntilAsync(() => Task.FromResult(client.Status.RefreshActivity?.Contains("ApiVersions", StringComparison.Ordinal) == true),
            $"the refresh to wait in ApiVersions (now: {client.Status.RefreshActivity})");
        Assert.That(client.Status.RefreshActivity, Does.StartWith($"seed 127.0.0.1:{proxy.Port}: connecting: ApiVersions; running for "));
        time.Advance(TimeSpan.FromSeconds(10));
        await WaitUntilAsync(() => Task.FromResult(client.Status.RefreshCount == 1), "the refresh to fail at the connect budget's end");
        Assert.That(client.Status.RefreshActivity, Is.Null, "nothing runs between refreshes");
        Assert.That(client.Status.LastError!.Message, Does.Contain("ApiVersions"));
    }

    [Test]
    public async Task A_refresh_whose_logging_throws_still_ends_so_nobody_waits_for_it_forever()
    {
        // Whatever throws inside a refresh (a logger, a telemetry listener) ends that refresh as failed; the next one runs.
        await using var cluster = MockKafkaCluster.Start(1);
        var logs = new ThrowingOnceLoggerFactory(MetadataLoop.LogCategory, eventId: 107); // "Refreshing metadata"
        await using var client = NewClient(cluster, loggerFactory: logs);

        var failed = Assert.ThrowsAsync<InvalidOperationException>(() => client.UpdateClusterAsync(Timeout()));
        Assert.That(failed!.Message, Is.EqualTo(ThrowingOnceLoggerFactory.Failure));
        Assert.That(client.Cluster.Metadata.IsRefreshing, Is.False, "the refresh is over");

        await client.UpdateClusterAsync(Timeout());
        Assert.That(client.Status.LastSuccessfulRefresh, Is.Not.Null);
        Assert.That(client.Brokers, Has.Count.EqualTo(1));
    }

    /// <summary>Waits until the loop, idle, has planned its next refresh at <paramref name="due"/>.</summary>
    private static Task WaitForPlanAsync(KafkaClient client, DateTimeOffset due) =>
        WaitUntilAsync(() => Task.FromResult(client.Status.NextRefresh == due), $"the next refresh planned at {due:O} (planned: {client.Status.NextRefresh:O})");

    /// <summary>
    /// Drives the fake clock until <paramref name="reached"/> holds with the loop idle (its next refresh planned): while
    /// a refresh runs, in small steps (its connection backoffs are on this clock too); while the loop waits, straight
    /// to its planned refresh; never while a refresh has ended and the loop is about to plan, so no retry is skipped.
    /// </summary>
    private static async Task DriveAsync(FakeTimeProvider time, KafkaClient client, Func<bool> reached, string what)
    {
        await WaitUntilAsync(async () =>
        {
            var next = client.Status.NextRefresh;
            if (next is not null && reached())
            {
                return true;
            }
            if (next is { } due)
            {
                time.Advance(due - time.GetUtcNow());
            }
            else if (!reached() && !client.Cluster.Metadata.IsRefreshing)
            {
                // Between a refresh and its plan: wait for the loop, the clock stays.
            }
            else if (!reached())
            {
                time.Advance(TimeSpan.FromMilliseconds(20));
            }
            await Task.Delay(5);
            return false;
        }, what);
    }
}
