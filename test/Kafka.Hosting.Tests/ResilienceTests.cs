using Kafka.Client;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using Polly;
using Polly.Retry;
using static Kafka.Hosting.Tests.Support.TestHosts;

namespace Kafka.Hosting.Tests;

/// <summary>
/// The pipeline the client uses is the registered one: ApiVersions errors pushed into the mock fail connection
/// attempts, and the mock's request tracking counts how often they were retried.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class ResilienceTests
{
    private const short ApiVersions = 18;
    private const short RequestTimedOut = 7;

    [Test]
    public async Task The_default_pipeline_retries_a_broker_that_fails_three_times_then_succeeds()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.StartRequestTracking();
        cluster.PushRequestErrors(ApiVersions, RequestTimedOut, RequestTimedOut, RequestTimedOut);
        using var host = Build(FastSettings(cluster.BootstrapServers), s => s.AddKafkaClient());
        await host.StartAsync();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();

        await WaitForFirstRefreshAsync(host.Services.GetRequiredService<KafkaClient>());

        Assert.That(status.ConsecutiveFailures, Is.Zero, "three failures are within the default three retries");
        // To the seed: three refused attempts, then the accepted one (v3, which the mock does not speak, and the v0
        // fallback); then the reachability probe's connection to broker 1 as the metadata names it, which asks at v0
        // straight away: broker 1 is at the seed's address, and the seed learnt the version it accepts.
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == ApiVersions), Is.EqualTo(3 + 2 + 1));
        await host.StopAsync();
    }

    [Test]
    public async Task A_configured_pipeline_changes_the_count()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.StartRequestTracking();
        cluster.PushRequestErrors(ApiVersions, RequestTimedOut, RequestTimedOut, RequestTimedOut);
        var retries = 0;
        var settings = FastSettings(cluster.BootstrapServers);
        settings["Kafka:MinRefreshGap"] = "00:01:00"; // the client's own retry of the failed refresh comes after the test
        using var host = Build(settings, s => s.AddKafkaClient()
            .ConfigureResilience(b => b.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = 1,
                Delay = TimeSpan.FromMilliseconds(1),
                ShouldHandle = args => ValueTask.FromResult(KafkaClientResilience.IsTransient(args.Outcome.Exception)),
                OnRetry = _ =>
                {
                    Interlocked.Increment(ref retries);
                    return default;
                },
            })));
        await host.StartAsync();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();

        await WaitUntilAsync(() => status.RefreshCount >= 1, "the refresh at start");

        Assert.That(status.ConsecutiveFailures, Is.EqualTo(1), "one retry is not enough for three failures");
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == ApiVersions), Is.EqualTo(2));
        Assert.That(retries, Is.EqualTo(1));
        await host.StopAsync();
    }

    [Test]
    public async Task Zero_retry_attempts_turn_retries_off()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.StartRequestTracking();
        cluster.PushRequestErrors(ApiVersions, RequestTimedOut);
        var settings = FastSettings(cluster.BootstrapServers);
        settings["Kafka:Resilience:MaxRetryAttempts"] = "0";
        settings["Kafka:MinRefreshGap"] = "00:01:00"; // the client's own retry of the failed refresh comes after the test
        using var host = Build(settings, s => s.AddKafkaClient());
        await host.StartAsync();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();

        await WaitUntilAsync(() => status.RefreshCount >= 1, "the refresh at start");

        Assert.That(status.ConsecutiveFailures, Is.EqualTo(1));
        Assert.That(cluster.GetRequests().Count(r => r.ApiKey == ApiVersions), Is.EqualTo(1));
        await host.StopAsync();
    }

    [Test]
    public async Task The_defaults_can_be_kept_and_extended()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var extended = false;
        using var host = Build(FastSettings(cluster.BootstrapServers), s => s.AddKafkaClient()
            .ConfigureResilience((b, context) =>
            {
                extended = context.Options.MaxRetryAttempts == 3 && context.ClientName.Length == 0;
                b.AddKafkaDefaults(context.Options);
            }));
        await host.StartAsync();

        await host.Services.GetRequiredService<KafkaClient>().UpdateClusterAsync();

        Assert.That(extended, Is.True);
        await host.StopAsync();
    }
}
