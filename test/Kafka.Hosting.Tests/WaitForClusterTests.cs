using Kafka.Client;
using Kafka.Hosting.Internal;
using Kafka.Hosting.Tests.Support;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Hosting.Tests.Support.TestHosts;

namespace Kafka.Hosting.Tests;

/// <summary>
/// Start-up that waits for the cluster (WaitForClusterOnStart): it must see the first successful refresh however its
/// end interleaves with the wait, and when it gives up it says what the refresh was waiting on.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class WaitForClusterTests
{
    [Test]
    public async Task Start_sees_a_first_refresh_that_ends_right_after_it_looked_at_the_status()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var settings = FastSettings(cluster.BootstrapServers);
        settings["Kafka:WaitForClusterOnStart"] = "true";
        // On a fake clock neither the start's timeout nor the next periodic refresh ever comes: only the end of the
        // first refresh can let start-up go on.
        using var host = Build(settings, s => s.AddKafkaClient(), new FakeTimeProvider());
        var client = host.Services.GetRequiredService<KafkaClient>();
        var service = host.Services.GetServices<IHostedService>().OfType<KafkaClientHostedService>().Single();
        var reads = 0;
        service.ReadLastSuccessfulRefresh = status =>
        {
            var seen = status.LastSuccessfulRefresh;
            if (Interlocked.Increment(ref reads) == 1)
            {
                // The first refresh ends right after start-up read "none yet": the interleaving a busy machine makes
                // now and then (a thread switch, a JIT compilation between the read and the wait).
                Assert.That(seen, Is.Null);
                client.UpdateClusterAsync().GetAwaiter().GetResult();
            }
            return seen;
        };

        var start = host.StartAsync();

        Assert.That(await Task.WhenAny(start, Task.Delay(Deadline)), Is.SameAs(start),
            "start-up waits for the refresh after the one that ended (a whole MetadataRefreshInterval away)");
        await start;
        Assert.That(client.Status.LastSuccessfulRefresh, Is.Not.Null);
        Assert.That(client.Status.RefreshCount, Is.EqualTo(1), "the first refresh was enough");
        // Nothing may run in the resilience pipeline when the host is disposed: Polly waits for it on the fake clock.
        await WaitForFirstRefreshAsync(client);
        await host.StopAsync();
    }

    [Test]
    public async Task A_start_that_times_out_names_the_seed_and_the_step_the_refresh_waits_on()
    {
        // A broker that accepts the connection and never answers: the first refresh waits in ApiVersions.
        await using var cluster = MockKafkaCluster.Start(1);
        await using var proxy = new TcpProxy("127.0.0.1", cluster.GetBrokerPort(1));
        proxy.StallNextConnections(1);
        var settings = FastSettings(proxy.Address);
        settings["Kafka:ConnectTimeout"] = "00:00:10";
        settings["Kafka:WaitForClusterOnStart"] = "true";
        settings["Kafka:WaitForClusterTimeout"] = "00:00:05";
        settings["Kafka:Resilience:MaxRetryAttempts"] = "0";
        var time = new FakeTimeProvider();
        using var host = Build(settings, s => s.AddKafkaClient(), time);
        var client = host.Services.GetRequiredService<KafkaClient>();

        var start = host.StartAsync();
        await WaitUntilAsync(() => client.Status.RefreshActivity?.Contains("ApiVersions", StringComparison.Ordinal) == true,
            $"the first refresh to wait in ApiVersions (now: {client.Status.RefreshActivity})");
        time.Advance(TimeSpan.FromSeconds(5));

        var error = Assert.ThrowsAsync<TimeoutException>(() => start);
        Assert.That(error!.Message, Is.EqualTo(
            "Kafka client 'default': no metadata refresh succeeded within 00:00:05 (WaitForClusterOnStart). " +
            $"The first refresh is still running: seed 127.0.0.1:{proxy.Port}: connecting: ApiVersions; running for 5.0 s. Last error: none"));

        // The attempt ends at the connect budget's end: nothing may run in the resilience pipeline when the host is
        // disposed (Polly waits for it on the fake clock).
        time.Advance(TimeSpan.FromSeconds(5));
        await WaitUntilAsync(() => client.Status.RefreshCount == 1, "the refresh to fail at the connect budget's end");
        Assert.That(client.Status.LastError!.Message, Does.Contain("ApiVersions"));
        await host.StopAsync();
    }
}
