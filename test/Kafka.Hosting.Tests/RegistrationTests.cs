using Kafka.Client;
using Kafka.Hosting.Internal;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Polly.Registry;
using static Kafka.Hosting.Tests.Support.TestHosts;

namespace Kafka.Hosting.Tests;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class RegistrationTests
{
    [Test]
    public async Task The_default_client_is_an_unkeyed_singleton_built_lazily_without_io()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var proxies = await ProxyEveryBrokerAsync(cluster);
        using var host = Build(FastSettings(proxies[0].Address), s => s.AddKafkaClient());

        var runtime = host.Services.GetRequiredKeyedService<KafkaClientRuntime>("");
        Assert.That(runtime.CreatedClient, Is.Null, "nothing is built before it is asked for");
        var client = host.Services.GetRequiredService<KafkaClient>();
        Assert.That(host.Services.GetRequiredService<KafkaClient>(), Is.SameAs(client));
        Assert.That(client.Options.Hosts, Is.EqualTo(proxies[0].Address));
        Assert.That(proxies[0].AcceptedCount, Is.Zero, "building the client does no I/O");
        Assert.That(host.Services.GetRequiredService<KafkaClusterStatus>().ClientName, Is.Empty);
        await proxies[0].DisposeAsync();
    }

    [Test]
    public async Task A_named_client_is_a_keyed_singleton_and_not_resolvable_without_its_key()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        using var host = Build(FastSettings(cluster.BootstrapServers, "Kafka:Clients:orders"), s => s.AddKafkaClient("orders").Services.AddSingleton<ConsumerOfOrders>());

        var client = host.Services.GetRequiredKeyedService<KafkaClient>("orders");

        Assert.That(host.Services.GetRequiredKeyedService<KafkaClient>("orders"), Is.SameAs(client));
        Assert.That(host.Services.GetService<KafkaClient>(), Is.Null, "only the default client is unkeyed");
        Assert.That(client.Options.Hosts, Is.EqualTo(cluster.BootstrapServers));
        Assert.That(host.Services.GetRequiredKeyedService<KafkaClusterStatus>("orders").ClientName, Is.EqualTo("orders"));
        Assert.That(host.Services.GetRequiredService<ConsumerOfOrders>().Client, Is.SameAs(client));
    }

    [Test]
    public void Registering_twice_does_not_duplicate_services()
    {
        var services = new ServiceCollection();
        services.AddKafkaClient().AddHealthCheck();
        services.AddKafkaClient().AddHealthCheck();
        services.AddKafkaClient("orders").AddHealthCheck();
        services.AddKafkaClient("orders");
        using var provider = services.BuildServiceProvider();

        Assert.That(services.Count(d => d.ServiceType == typeof(IHostedService) && d.ImplementationFactory?.Method.ReturnType == typeof(KafkaClientHostedService)), Is.EqualTo(2), "one refresh service per client");
        Assert.That(services.Count(d => d.ServiceType == typeof(KafkaClient) && !d.IsKeyedService), Is.EqualTo(1));
        Assert.That(services.Count(d => d.ServiceType == typeof(KafkaClient) && d.IsKeyedService), Is.EqualTo(1));
        Assert.That(services.Count(d => d.ServiceType == typeof(IValidateOptions<KafkaClientOptions>)), Is.EqualTo(2));
        var checks = provider.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(r => r.Name);
        Assert.That(checks, Is.EquivalentTo(new[] { "kafka", "kafka-orders" }));
    }

    [Test]
    public async Task A_named_client_and_the_default_client_talk_to_two_different_clusters()
    {
        await using var first = MockKafkaCluster.Start(1);
        await using var second = MockKafkaCluster.Start(2);
        first.CreateTopic("only-in-first", 1);
        second.CreateTopic("only-in-second", 1);
        var settings = FastSettings(first.BootstrapServers);
        foreach (var (key, value) in FastSettings(second.BootstrapServers, "Kafka:Clients:orders"))
        {
            settings[key] = value;
        }
        using var host = Build(settings, s =>
        {
            s.AddKafkaClient();
            s.AddKafkaClient("orders");
        });
        await host.StartAsync();

        var defaultClient = host.Services.GetRequiredService<KafkaClient>();
        var orders = host.Services.GetRequiredKeyedService<KafkaClient>("orders");
        await WaitUntilAsync(() => defaultClient.Brokers.Count == 1 && orders.Brokers.Count == 2, "both clients to refresh");

        Assert.That(defaultClient.Topics.ContainsKey("only-in-first") && !defaultClient.Topics.ContainsKey("only-in-second"));
        Assert.That(orders.Topics.ContainsKey("only-in-second") && !orders.Topics.ContainsKey("only-in-first"));
        await host.StopAsync();
    }

    [Test]
    public async Task The_pipeline_is_registered_under_the_documented_key_per_client()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        using var host = Build(FastSettings(cluster.BootstrapServers), s =>
        {
            s.AddKafkaClient();
            s.AddKafkaClient("orders", o => o.Hosts = cluster.BootstrapServers);
        });
        var provider = host.Services.GetRequiredService<ResiliencePipelineProvider<string>>();

        Assert.That(KafkaClientResilience.GetPipelineKey(""), Is.EqualTo("Kafka.Hosting.KafkaClient"));
        Assert.That(provider.TryGetPipeline("Kafka.Hosting.KafkaClient", out _), Is.True);
        Assert.That(provider.TryGetPipeline("Kafka.Hosting.KafkaClient:orders", out _), Is.True);
    }

    private sealed class ConsumerOfOrders([FromKeyedServices("orders")] KafkaClient client)
    {
        public KafkaClient Client { get; } = client;
    }
}
