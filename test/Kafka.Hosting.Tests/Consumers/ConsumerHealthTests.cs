using Kafka.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Hosting.Tests.Consumers.ConsumerTestKit;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>The hosted consumers' health checks, added by the client's AddHealthCheck.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class ConsumerHealthTests
{
    private const string Check = "kafka-consumer-billing/orders";

    [Test]
    public async Task Healthy_while_it_runs_Degraded_naming_a_partition_the_failure_policy_stopped_Unhealthy_once_stopped()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 3, 1);
        var journal = new Journal();
        journal.FailTimes[("orders", 1, 3)] = int.MaxValue;
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddHealthCheck(tags: ["ready"]).AddConsumer<JournalHandler>("orders", "billing", o =>
            {
                Fast(o);
                o.HandlerMaxRetryAttempts = 0;
            });
        });
        Assert.That((await CheckAsync(host)).Status, Is.EqualTo(HealthStatus.Unhealthy), "not started");
        await host.StartAsync();
        await WaitForAsync(() => Service(host).Consumer?.Assignment.Count == 3, "the member owning the partitions");
        var healthy = await CheckAsync(host);
        Assert.That(healthy.Status, Is.EqualTo(HealthStatus.Healthy), healthy.Description);
        Assert.That(healthy.Tags, Is.EqualTo(new[] { "ready" }));

        await ProduceAsync(cluster, "orders", 3, 5);
        await WaitForAsync(() => journal.Count == 13, "everything handled but partition 1 from offset 3");
        var degraded = await CheckAsync(host);
        Assert.That(degraded.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(degraded.Description, Does.Contain("stopped by the failure policy: orders/1 at offset 3"));
        Assert.That(degraded.Data["stoppedPartitions"], Is.EqualTo(new[] { "orders/1" }));

        await host.StopAsync();
        Assert.That((await CheckAsync(host)).Status, Is.EqualTo(HealthStatus.Unhealthy), "stopped");
    }

    [Test]
    public async Task Degraded_naming_a_partition_whose_messages_wait_while_nothing_is_committed_for_five_commit_intervals()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 2, 1);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var journal = new Journal { Holds = (_, partition, offset) => partition == 0 && offset == 1 };
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddHealthCheck().AddConsumer<JournalHandler>("orders", "billing", FakeClock);
        }, time);
        await host.StartAsync();
        await TestHosts.PumpUntilAsync(time, () => Service(host).Consumer?.Assignment.Count == 2, "the member owning the partitions");
        await ProduceAsync(cluster, "orders", 2, 4);
        await WaitForAsync(() => journal.Count == 5, "partition 1 handled, partition 0 stuck at offset 1");

        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(() => Service(host).Session!.Lanes.All(l => l.Watermark <= l.Committed), "partition 1 and offset 0 of partition 0 committed");
        for (var i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }
        var stillHealthy = await CheckAsync(host);
        Assert.That(stillHealthy.Status, Is.EqualTo(HealthStatus.Healthy), "four intervals: " + stillHealthy.Description);
        time.Advance(TimeSpan.FromSeconds(1));
        var stalled = await CheckAsync(host);
        Assert.That(stalled.Status, Is.EqualTo(HealthStatus.Degraded), stalled.Description);
        Assert.That(stalled.Description, Does.Contain("orders/0 (3 uncommitted").And.Not.Contain("orders/1"));

        journal.Gate.SetResult();
        await WaitForAsync(() => journal.Count == 8, "the stuck handler done");
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitForAsync(() => Service(host).Session!.Lanes.All(l => l.Committed == 4), "committed");
        Assert.That((await CheckAsync(host)).Status, Is.EqualTo(HealthStatus.Healthy));
        await host.StopAsync();
    }

    [Test]
    public async Task Unhealthy_while_the_consumer_restarts_after_its_membership_failed()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 1, 1);
        cluster.PushRequestErrors(11, 30); // JoinGroup: GROUP_AUTHORIZATION_FAILED, which no retry fixes
        var logs = new LogCapture();
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(new Journal());
            s.AddKafkaClient().AddHealthCheck().AddConsumer<JournalHandler>("orders", "billing", o =>
            {
                Fast(o);
                o.RestartDelay = TimeSpan.FromMinutes(10);
            });
        }, logs: logs);
        await host.StartAsync();

        await WaitForAsync(() => Service(host).State == Internal.HostedConsumerState.Restarting, "the consumer failing", logs);
        var result = await CheckAsync(host);
        Assert.That(result.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(result.Description, Does.Contain("restarting"));
        Assert.That(result.Exception, Is.Not.Null);
        await host.StopAsync(); // prompt: the restart delay is cancelled
    }

    private static async Task<HealthReportEntry> CheckAsync(IHost host)
    {
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Name == Check);
        return report.Entries[Check];
    }
}
