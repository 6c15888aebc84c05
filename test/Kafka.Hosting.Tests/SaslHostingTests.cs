using Kafka.Client;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Hosting.Tests.Support.TestHosts;

namespace Kafka.Hosting.Tests;

/// <summary>SASL from configuration, OAUTHBEARER tokens from a service, the Event Hubs connection string, and health.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class SaslHostingTests
{
    private static readonly Dictionary<string, string> Users = new() { ["orders-service"] = "orders-Pa55word" };

    private static async Task<(MockKafkaCluster Cluster, SaslProxy Proxy)> StartAsync(SaslProxyOptions options)
    {
        var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("orders", 2);
        var proxy = SaslProxy.InFrontOf(cluster, options)[1];
        await Task.CompletedTask;
        return (cluster, proxy);
    }

    // Kafka's spelling (another client's sasl.mechanism) and the enum's both bind.
    [TestCase("ScramSha512")]
    [TestCase("SCRAM-SHA-512")]
    [TestCase("scram-sha-512")]
    public async Task Sasl_settings_bind_from_configuration_and_every_connection_authenticates(string mechanism)
    {
        var (cluster, proxy) = await StartAsync(new SaslProxyOptions { Mechanisms = ["SCRAM-SHA-512"], Users = Users });
        await using var _ = cluster;
        await using var __ = proxy;
        var settings = FastSettings(proxy.Address);
        settings["Kafka:Sasl:Mechanism"] = mechanism;
        settings["Kafka:Sasl:Username"] = "orders-service";
        settings["Kafka:Sasl:Password"] = "orders-Pa55word";
        settings["Kafka:WaitForClusterOnStart"] = "true";
        using var host = Build(settings, s => s.AddKafkaClient());

        await host.StartAsync();
        var client = host.Services.GetRequiredService<KafkaClient>();
        var offsets = await client.Topics["orders"].LatestAvailableOffsetsAsync();

        Assert.That(offsets, Has.Count.EqualTo(2));
        Assert.That(client.Options.Sasl!.Mechanism, Is.EqualTo(SaslMechanism.ScramSha512));
        Assert.That(proxy.Authentications.Select(a => (a.Mechanism, a.Principal)), Is.All.EqualTo(("SCRAM-SHA-512", "orders-service")));
        await host.StopAsync();
    }

    [Test]
    public void Every_SASL_problem_fails_start_with_its_key_and_no_secret()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kafka:Clients:billing:Sasl:Mechanism"] = "ScramSha256",
            ["Kafka:Clients:billing:Sasl:Username"] = "",
            ["Kafka:Clients:orders:ConnectionString"] = "Endpoint=https://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0",
            ["Kafka:Clients:orders:Sasl:Mechanism"] = "Plain",
            ["Kafka:Clients:orders:Sasl:Password"] = "orders-Pa55word",
        };
        using var host = Build(settings, s =>
        {
            s.AddKafkaClient("billing");
            s.AddKafkaClient("orders");
        });

        var billing = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptionsMonitor<KafkaClientOptions>>().Get("billing"));
        var orders = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptionsMonitor<KafkaClientOptions>>().Get("orders"));

        Assert.That(billing!.Failures, Is.EqualTo(new[]
        {
            "Kafka:Clients:billing:Sasl:Username: must be set for ScramSha256.",
            "Kafka:Clients:billing:Sasl:Password: must be set for ScramSha256.",
        }));
        Assert.That(orders!.Failures, Has.Count.EqualTo(2));
        Assert.That(orders.Failures.ElementAt(0), Does.StartWith("Kafka:Clients:orders:ConnectionString: the Endpoint"));
        Assert.That(orders.Failures.ElementAt(1), Does.StartWith("Kafka:Clients:orders:Sasl: is set, but ConnectionString"));
        Assert.That(orders.Message, Does.Not.Contain("c2VjcmV0").And.Not.Contain("orders-Pa55word"));
        Assert.CatchAsync(() => host.StartAsync(), "the host does not start");
    }

    [Test]
    public void An_unknown_mechanism_name_fails_start_naming_the_key()
    {
        var settings = FastSettings("127.0.0.1:1");
        settings["Kafka:Sasl:Mechanism"] = "SCRAM-SHA-1";
        using var host = Build(settings, s => s.AddKafkaClient());

        var error = Assert.CatchAsync(() => host.StartAsync());

        TestContext.Out.WriteLine(error);
        Assert.That(error!.Message, Does.Contain("'SCRAM-SHA-1'").And.Contain("Kafka:Sasl:Mechanism"));
    }

    [Test]
    public async Task ConfigureOAuthBearer_takes_tokens_from_a_service()
    {
        var (cluster, proxy) = await StartAsync(new SaslProxyOptions { Mechanisms = ["OAUTHBEARER"], OAuthBearerRequiredScopes = ["kafka"] });
        await using var _ = cluster;
        await using var __ = proxy;
        var settings = FastSettings(proxy.Address);
        settings["Kafka:WaitForClusterOnStart"] = "true";
        using var host = Build(settings, s => s
            .AddSingleton(new TokenService("orders-app"))
            .AddKafkaClient()
            .ConfigureOAuthBearer((services, ct) => services.GetRequiredService<TokenService>().GetAsync(ct)));

        await host.StartAsync();

        Assert.That(host.Services.GetRequiredService<TokenService>().Calls, Is.EqualTo(1), "one token for every connection");
        Assert.That(proxy.Authentications.Select(a => (a.Mechanism, a.Principal)), Is.All.EqualTo(("OAUTHBEARER", "orders-app")));
        Assert.That(proxy.Authentications[0].Extensions["app"], Is.EqualTo("orders"));
        await host.StopAsync();
    }

    [Test]
    public void Kafka_ConnectionString_expands_to_the_Event_Hubs_endpoint_TLS_and_PLAIN()
    {
        const string connectionString = "Endpoint=sb://contoso-events.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0LWtleQ==;EntityPath=orders";
        using var host = Build(new Dictionary<string, string?> { ["Kafka:ConnectionString"] = connectionString }, s => s.AddKafkaClient());

        var client = host.Services.GetRequiredService<KafkaClient>(); // created without I/O

        Assert.That(client.Options.Hosts, Is.EqualTo("contoso-events.servicebus.windows.net:9093"));
        Assert.That(client.Options.Ssl, Is.Not.Null);
        Assert.That(client.Options.Sasl!.Mechanism, Is.EqualTo(SaslMechanism.Plain));
        Assert.That(client.Options.Sasl.Username, Is.EqualTo("$ConnectionString"));
        Assert.That(client.Options.Sasl.Password, Is.EqualTo(connectionString));
    }

    [Test]
    public async Task Wrong_credentials_make_the_health_check_unhealthy_with_the_reason_and_refreshes_back_off()
    {
        var (cluster, proxy) = await StartAsync(new SaslProxyOptions { Mechanisms = ["PLAIN"], Users = Users });
        await using var _ = cluster;
        await using var __ = proxy;
        var time = new FakeTimeProvider();
        var settings = FastSettings(proxy.Address);
        settings["Kafka:Sasl:Mechanism"] = "Plain";
        settings["Kafka:Sasl:Username"] = "orders-service";
        settings["Kafka:Sasl:Password"] = "stale-Pa55word";
        settings["Kafka:MinRefreshGap"] = "00:00:05";
        // The connect timeout runs on the fake clock, which the pump below moves 500 ms at a time while the SASL exchange
        // takes real time: with the usual 2 s, a slow exchange on a loaded machine timed out (retriable, so retried: a
        // second connection for one refresh). An hour is more fake time than the pump can ever move.
        settings["Kafka:ConnectTimeout"] = "01:00:00";
        using var host = Build(settings, s => s.AddKafkaClient().AddHealthCheck(), time);
        await host.StartAsync();
        var status = host.Services.GetRequiredService<KafkaClusterStatus>();
        await WaitUntilAsync(() => status.ConsecutiveFailures == 1, "the first refresh to fail");

        var report = (await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["kafka"];

        TestContext.Out.WriteLine(report.Description);
        Assert.That(report.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(report.Description, Does.StartWith("Authentication failed: ").And.Contain("PLAIN").And.Contain("orders-service"));
        Assert.That(report.Description, Does.Not.Contain("stale-Pa55word"));
        Assert.That(report.Data["authenticationFailed"], Is.True);
        Assert.That(proxy.AcceptedCount, Is.EqualTo(1), "an authentication error is not retried by the resilience pipeline");

        await PumpUntilAsync(time, () => status.ConsecutiveFailures == 3, "two more refreshes", TimeSpan.FromMilliseconds(500));
        Assert.That(proxy.AcceptedCount, Is.EqualTo(3), "one attempt per refresh");
        Assert.That(status.LastFailedRefresh - status.LastSuccessfulRefresh.GetValueOrDefault(), Is.GreaterThan(TimeSpan.FromSeconds(5)),
            "refreshes after a failure wait MinRefreshGap, doubling");
        await host.StopAsync();
    }

    private sealed class TokenService(string principal)
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<OAuthBearerToken> GetAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return ValueTask.FromResult(OAuthBearerToken.CreateUnsecured(principal, TimeSpan.FromHours(1), ["kafka"],
                new Dictionary<string, string> { ["app"] = "orders" }));
        }
    }
}
