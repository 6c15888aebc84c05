using Kafka.Client;
using Kafka.Hosting.Tests.Support;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Hosting.Tests.Support.TestHosts;

namespace Kafka.Hosting.Tests;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class RefreshTests
{
    [Test]
    public async Task Refresh_runs_on_the_interval_and_picks_up_a_moved_leader()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("moves", partitions: 2, replicationFactor: 3);
        var time = new FakeTimeProvider();
        using var host = Build(FastSettings(cluster.BootstrapServers), s => s.AddKafkaClient(), time);
        await host.StartAsync();
        var client = host.Services.GetRequiredService<KafkaClient>();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();
        var started = time.GetUtcNow();
        await WaitUntilAsync(() => client.Status.NextRefresh is not null, "the refresh at start, then the next one planned");
        Assert.That(client.Status.NextRefresh, Is.EqualTo(started + TimeSpan.FromMinutes(5)), "planned an interval after the first");
        var partition = client.Topics["moves"].Partitions[0];
        var newLeader = cluster.BrokerIds.First(id => id != partition.Leader!.Id);

        cluster.SetPartitionLeader("moves", 0, newLeader);
        // The fake clock runs due timers inside Advance: a refresh due before 5 minutes would have been started here.
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.That(client.Status.NextRefresh, Is.EqualTo(started + TimeSpan.FromMinutes(5)), "no refresh before the interval has passed");
        Assert.That(status.RefreshCount, Is.EqualTo(1));
        time.Advance(TimeSpan.FromMinutes(1));

        await WaitUntilAsync(() => partition.Leader?.Id == newLeader, "the moved leader after the interval");
        Assert.That(status.RefreshCount, Is.EqualTo(2));
        await host.StopAsync();
    }

    [Test]
    public async Task Early_refresh_requests_are_coalesced_and_respect_the_minimum_gap()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var time = new FakeTimeProvider();
        var settings = FastSettings(cluster.BootstrapServers);
        settings["Kafka:MinRefreshGap"] = "00:00:05";
        using var host = Build(settings, s => s.AddKafkaClient(), time);
        await host.StartAsync();
        var client = host.Services.GetRequiredService<KafkaClient>();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();
        var started = time.GetUtcNow();
        await WaitUntilAsync(() => client.Status.NextRefresh is not null, "the refresh at start, then the next one planned");

        status.RequestRefresh("test");
        status.RequestRefresh("test again");
        status.RequestRefresh();
        await WaitUntilAsync(() => client.Status.NextRefresh == started + TimeSpan.FromSeconds(5), "the early refresh planned after the minimum gap");
        Assert.That(status.RefreshCount, Is.EqualTo(1), "not before the minimum gap (5 s)");
        time.Advance(TimeSpan.FromSeconds(5));

        await WaitUntilAsync(() => client.Status.NextRefresh == started + TimeSpan.FromSeconds(5) + TimeSpan.FromMinutes(5),
            "one early refresh, then the next one planned an interval later");
        Assert.That(status.RefreshCount, Is.EqualTo(2), "three requests, one refresh");
        await host.StopAsync();
    }

    [Test]
    public async Task A_stale_leader_seen_by_the_client_triggers_an_early_refresh()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("stale", partitions: 1, replicationFactor: 3);
        var time = new FakeTimeProvider();
        using var host = Build(FastSettings(cluster.BootstrapServers), s => s.AddKafkaClient(), time);
        await host.StartAsync();
        var client = host.Services.GetRequiredService<KafkaClient>();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();
        await WaitForFirstRefreshAsync(host.Services.GetRequiredService<KafkaClient>());
        var topic = client.Topics["stale"];

        cluster.PushRequestErrors(2, 6); // ListOffsets: NOT_LEADER_OR_FOLLOWER once
        var lookup = topic.Partitions[0].LatestAvailableOffsetAsync();
        await PumpUntilAsync(time, () => lookup.IsCompleted, "the offset lookup to retry past the stale leader");
        await lookup;
        await PumpUntilAsync(time, () => status.RefreshCount >= 2, "the early refresh the stale leader asked for", TimeSpan.FromMilliseconds(500));

        Assert.That(status.RefreshCount, Is.GreaterThanOrEqualTo(2));
        await host.StopAsync();
    }

    [Test]
    public async Task All_brokers_down_retries_per_policy_logs_once_turns_unhealthy_and_recovers()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        var proxies = await ProxyEveryBrokerAsync(cluster);
        var time = new FakeTimeProvider();
        var logs = new LogCapture();
        var settings = FastSettings(cluster.BootstrapServers);
        settings["Kafka:Resilience:MaxRetryAttempts"] = "2";
        settings["Kafka:MinRefreshGap"] = "00:00:01";
        using var host = Build(settings, s => s.AddKafkaClient().AddHealthCheck(), time, logs);
        var client = host.Services.GetRequiredService<KafkaClient>();
        await host.StartAsync();
        try
        {
            var status = host.Services.GetRequiredService<KafkaClusterStatus>();
            var health = host.Services.GetRequiredService<HealthCheckService>();
            await WaitUntilAsync(() => client.Status.NextRefresh is not null, "the refresh at start and its reachability probe");
            await WaitUntilAsync(() => proxies.All(p => p.OpenCount == 1), "the reachability probe to connect to each broker");
            Assert.That((await health.CheckHealthAsync()).Status, Is.EqualTo(HealthStatus.Healthy));
            var before = proxies.Select(p => p.AcceptedCount).ToArray();
            // Counted as the failure is logged, on the refresh loop, before it can start the next refresh: however far the
            // pumped clock ran during this one (a loaded machine's slow sockets let it pass the failure delay), the next
            // refresh's attempts cannot be counted with this one's.
            int[]? atFirstFailure = null;
            logs.Observer = e =>
            {
                if (e.Category == KafkaClientDiagnostics.RefreshLogCategory && e.EventId.Id == 101)
                {
                    Interlocked.CompareExchange(ref atFirstFailure, [.. proxies.Select(p => p.AcceptedCount)], null);
                }
            };

            cluster.SetBrokerDown(-1);
            // The probes' connections are closed first; a refresh that still found one open would spend an attempt on it.
            await WaitUntilAsync(() => proxies.All(p => p.OpenCount == 0), "the brokers' connections to close");
            status.RequestRefresh("test");
            await PumpUntilAsync(time, () => Volatile.Read(ref atFirstFailure) is not null, "a failed refresh");

            // Each known broker was tried once by the refresh, and that connection attempt retried twice by the policy.
            Assert.That(atFirstFailure!.Select((count, i) => count - before[i]), Is.All.EqualTo(3));
            var report = await health.CheckHealthAsync();
            Assert.That(report.Status, Is.EqualTo(HealthStatus.Unhealthy), report.Entries["kafka"].Description);

            await PumpUntilAsync(time, () => status.ConsecutiveFailures >= 4, "more failed refreshes", TimeSpan.FromMilliseconds(200));
            var refreshLogs = logs.Entries.Where(e => e.Category == KafkaClientDiagnostics.RefreshLogCategory).ToList();
            Assert.That(refreshLogs.Count(e => e.EventId.Id == 101 && e.Level == LogLevel.Warning), Is.EqualTo(1), "a failure streak is logged once");
            Assert.That(refreshLogs.Count(e => e.EventId.Id == 102 && e.Level == LogLevel.Debug), Is.GreaterThanOrEqualTo(3));

            cluster.SetBrokerUp(-1);
            await PumpUntilAsync(time, () => status.ConsecutiveFailures == 0, "recovery once the brokers are back", TimeSpan.FromMilliseconds(500));
            Assert.That(logs.Entries.Count(e => e.Category == KafkaClientDiagnostics.RefreshLogCategory && e.EventId.Id == 103), Is.EqualTo(1), "the recovery is logged");
            await PumpUntilAsync(time, () => health.CheckHealthAsync().Result.Status == HealthStatus.Healthy, "Healthy again");
        }
        finally
        {
            // Stopped even when an assertion failed: a retry waiting on the fake clock would otherwise hold up the
            // disposal of the host's resilience pipelines, which wait for executions in progress.
            await host.StopAsync();
        }
        foreach (var proxy in proxies)
        {
            await proxy.DisposeAsync();
        }
    }

    [Test]
    public async Task A_host_disposed_without_stopping_ends_the_refresh_loop_while_retries_wait_on_its_clock()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var time = new FakeTimeProvider();
        var logs = new LogCapture();
        var settings = FastSettings(cluster.BootstrapServers);
        settings["Kafka:Resilience:MaxRetryAttempts"] = "5";
        var host = Build(settings, s => s.AddKafkaClient(), time, logs);
        await host.StartAsync();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();
        await WaitUntilAsync(() => status.RefreshCount == 1, "the refresh at start");

        // The loop now waits on the fake clock for its next attempt, which nobody advances.
        cluster.SetBrokerDown(-1);
        status.RequestRefresh("test");
        await PumpUntilAsync(time, () => status.ConsecutiveFailures >= 1, "a failed refresh");

        // No StopAsync, as when a test fails half way or start-up throws: disposing the host alone must end the loop.
        await ((IAsyncDisposable)host).DisposeAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.That(logs.Entries.Count(e => e.Category == KafkaClientDiagnostics.RefreshLogCategory && e.EventId.Id == 106), Is.EqualTo(1), "the loop logged that it stopped");
    }

    [Test]
    public async Task The_health_check_reports_the_ZooKeeper_session()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        await using var zooKeeper = new ZooKeeperServer();
        await zooKeeper.StartAsync();
        await using (var registrar = new Kafka.ZooKeeper.ZooKeeperClient(new Kafka.ZooKeeper.ZooKeeperClientOptions { ConnectString = zooKeeper.ConnectString }))
        {
            await registrar.EnsurePathAsync("/brokers/ids");
            var address = cluster.GetBrokerAddress(1).Split(':');
            await registrar.CreateAsync("/brokers/ids/1", System.Text.Encoding.UTF8.GetBytes(
                $$$"""{"version":4,"host":"{{{address[0]}}}","port":{{{address[1]}}},"endpoints":["PLAINTEXT://{{{cluster.GetBrokerAddress(1)}}}"],"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"}}"""));
        }
        var settings = FastSettings("127.0.0.1:1");
        settings["Kafka:ZooKeeperHosts"] = zooKeeper.ConnectString;
        using var host = Build(settings, s => s.AddKafkaClient().AddHealthCheck());
        await host.StartAsync();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await WaitUntilAsync(() => status.LastSuccessfulRefresh is not null, "the first refresh, through ZooKeeper");

        var healthy = await health.CheckHealthAsync();
        Assert.That(healthy.Status, Is.EqualTo(HealthStatus.Healthy), healthy.Entries["kafka"].Description);
        Assert.That(healthy.Entries["kafka"].Data["zooKeeper"], Is.EqualTo("Connected"));

        await zooKeeper.KillAsync();
        HealthReport report = healthy;
        await WaitUntilAsync(async () => (report = await health.CheckHealthAsync()).Status == HealthStatus.Degraded, "Degraded once ZooKeeper is gone", Deadline);

        Assert.That(report.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(report.Entries["kafka"].Description, Does.Contain("ZooKeeper").And.Contain(zooKeeper.ConnectString));
        await host.StopAsync();
    }

    [Test]
    public async Task One_broker_down_is_degraded()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("spread", partitions: 3, replicationFactor: 1);
        cluster.SetPartitionLeader("spread", 1, 2);
        var time = new FakeTimeProvider();
        using var host = Build(FastSettings(cluster.BootstrapServers), s => s.AddKafkaClient().AddHealthCheck(), time);
        await host.StartAsync();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await WaitForFirstRefreshAsync(host.Services.GetRequiredService<KafkaClient>());

        cluster.SetBrokerDown(2);
        time.Advance(TimeSpan.FromMinutes(5));
        await PumpUntilAsync(time, () => status.RefreshCount == 2, "the next refresh", TimeSpan.FromMilliseconds(20));

        var report = await health.CheckHealthAsync();
        Assert.That(report.Status, Is.EqualTo(HealthStatus.Degraded), report.Entries["kafka"].Description);
        // The mock, as Kafka, stops listing a down broker: its partitions are left without a reachable leader.
        Assert.That(report.Entries["kafka"].Description, Does.Contain("spread/1"));
        await host.StopAsync();
    }

    [Test]
    public async Task Health_is_unhealthy_before_any_refresh_and_when_the_last_success_is_stale_and_never_connects()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var proxies = await ProxyEveryBrokerAsync(cluster);
        var time = new FakeTimeProvider();
        using var host = Build(FastSettings(proxies[0].Address), s => s.AddKafkaClient().AddHealthCheck(tags: ["ready"]), time);
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var before = await health.CheckHealthAsync(r => r.Tags.Contains("ready"));
        Assert.That(before.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(before.Entries["kafka"].Description, Does.Contain("No metadata refresh has succeeded"));
        Assert.That(proxies[0].AcceptedCount, Is.Zero, "the health check opened nothing");

        await host.StartAsync();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();
        await WaitForFirstRefreshAsync(host.Services.GetRequiredService<KafkaClient>());
        var accepted = proxies[0].AcceptedCount;
        for (var i = 0; i < 20; i++)
        {
            Assert.That((await health.CheckHealthAsync()).Status, Is.EqualTo(HealthStatus.Healthy));
        }
        Assert.That(proxies[0].AcceptedCount, Is.EqualTo(accepted), "checks read state only");

        cluster.SetBrokerDown(-1);
        cluster.SetBrokerHostPort(1, "127.0.0.1", proxies[0].Port);
        await host.StopAsync(); // no more refreshes: the last success only ages
        time.Advance(TimeSpan.FromMinutes(11));
        var stale = await health.CheckHealthAsync();
        Assert.That(stale.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(stale.Entries["kafka"].Description, Does.Contain("more than two intervals"));
        await proxies[0].DisposeAsync();
    }

    [Test]
    public async Task Stop_is_prompt_and_idempotent_with_a_refresh_in_flight_and_leaves_no_socket_open()
    {
        await using var cluster = MockKafkaCluster.Start(2);
        var proxies = await ProxyEveryBrokerAsync(cluster);
        var settings = FastSettings(string.Join(",", proxies.Select(p => p.Address)));
        settings["Kafka:SocketTimeout"] = "00:10:00";
        settings["Kafka:Resilience:AttemptTimeout"] = "00:10:00";
        using var host = Build(settings, s =>
        {
            s.AddKafkaClient();
            s.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(10)); // nor does the host cut it short
        });
        await host.StartAsync();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();
        await WaitForFirstRefreshAsync(host.Services.GetRequiredService<KafkaClient>());

        // Every answer now waits 10 minutes: the refresh hangs on its socket for far longer than the test waits, so a
        // stop that waited for it cannot pass, however loaded the machine (no timing of the stop itself).
        cluster.SetBrokerRtt(-1, TimeSpan.FromMinutes(10));
        cluster.StartRequestTracking();
        status.RequestRefresh("test");
        await WaitUntilAsync(() => cluster.GetRequests().Any(r => r.ApiKey == 3), "a metadata request in flight");

        var stopping = Task.Run(async () =>
        {
            await host.StopAsync();
            await host.StopAsync();
        });
        await WaitUntilAsync(() => stopping.IsCompleted, "the stop, which does not wait for the hung refresh");
        await stopping;
        await WaitUntilAsync(() => proxies.All(p => p.OpenCount == 0), "every connection to the cluster to close", TimeSpan.FromSeconds(5));
        Assert.ThrowsAsync<ObjectDisposedException>(() => host.Services.GetRequiredService<KafkaClient>().UpdateClusterAsync());
        foreach (var proxy in proxies)
        {
            await proxy.DisposeAsync();
        }
    }

    [Test]
    public async Task Waiting_for_the_cluster_on_start_returns_after_the_first_refresh_or_fails_at_its_timeout()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var settings = FastSettings(cluster.BootstrapServers);
        settings["Kafka:WaitForClusterOnStart"] = "true";
        using (var host = Build(settings, s => s.AddKafkaClient()))
        {
            await host.StartAsync();
            Assert.That(host.Services.GetRequiredService<KafkaClusterStatus>().LastSuccessfulRefresh, Is.Not.Null);
            Assert.That(host.Services.GetRequiredService<KafkaClient>().Brokers, Has.Count.EqualTo(1));
            await host.StopAsync();
        }

        cluster.SetBrokerDown(-1);
        settings["Kafka:WaitForClusterTimeout"] = "00:00:01";
        using (var host = Build(settings, s => s.AddKafkaClient()))
        {
            var error = Assert.ThrowsAsync<TimeoutException>(() => host.StartAsync());
            Assert.That(error!.Message, Does.Contain("WaitForClusterOnStart"));
            await host.StopAsync();
        }
    }
}
