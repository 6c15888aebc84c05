using Kafka.Client;
using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Kafka.Hosting.Tests.Support.TestHosts;

namespace Kafka.Hosting.Tests;

/// <summary><c>AddKafkaClient().AddProducer(name, topic, options)</c>: a keyed producer that starts and stops with the host.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class ProducerRegistrationTests
{
    private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    private static async Task<long> HighWatermarkAsync(MockKafkaCluster cluster, string topic)
    {
        await using var client = new KafkaClient(new KafkaClientOptions { Hosts = cluster.BootstrapServers });
        var found = await client.Topics.GetAsync(topic);
        return (await found.LatestAvailableOffsetsAsync()).Values.Sum();
    }

    [Test]
    public async Task A_producer_is_a_keyed_singleton_started_with_the_host_and_flushed_when_it_stops()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("events", partitions: 2, replicationFactor: 1);
        using var host = Build(FastSettings(cluster.BootstrapServers), s => s.AddKafkaClient()
            .AddProducer("events", "events", new ProducerOptions { Linger = TimeSpan.FromHours(1), DeliveryTimeout = TimeSpan.FromHours(2) }));
        await host.StartAsync();

        var producer = host.Services.GetRequiredKeyedService<Producer>("events");
        Assert.That(host.Services.GetRequiredKeyedService<Producer>("events"), Is.SameAs(producer));
        Assert.That(producer.Topic.Name, Is.EqualTo("events"));
        Assert.That(producer.Topic, Is.SameAs(host.Services.GetRequiredService<KafkaClient>().Topics["events"]), "the registered client's topic");
        Assert.That(host.Services.GetService<Producer>(), Is.Null, "producers are keyed only");
        for (var i = 0; i < 10; i++)
        {
            producer.Produce(Bytes($"event {i}"));
        }
        Assert.That(producer.QueuedMessages, Is.EqualTo(10), "lingering for an hour");

        await host.StopAsync();

        Assert.That(await HighWatermarkAsync(cluster, "events"), Is.EqualTo(10), "stopping the host delivered what was queued");
        Assert.Throws<ProducerDisposedException>(() => producer.Produce(Bytes("after")));
    }

    [Test]
    public async Task A_named_clients_producer_uses_that_client_and_its_options()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("audit", partitions: 1, replicationFactor: 1);
        using var host = Build(FastSettings(cluster.BootstrapServers, "Kafka:Clients:second"), s => s.AddKafkaClient("second")
            .AddProducer("audit-log", "audit", o => o.Compression = CompressionType.Zstd));
        await host.StartAsync();

        var producer = host.Services.GetRequiredKeyedService<Producer>("audit-log");
        Assert.That(producer.Topic, Is.SameAs(host.Services.GetRequiredKeyedService<KafkaClient>("second").Topics["audit"]), "the named client's topic");
        Assert.That(producer.Options.Compression, Is.EqualTo(CompressionType.Zstd));
        var report = await producer.ProduceAsync(Bytes("entry"));
        Assert.That((report.Topic, report.Offset), Is.EqualTo(("audit", 0L)));
        await host.StopAsync();
    }

    [Test]
    public void Two_producers_with_one_name_are_refused()
    {
        var services = new ServiceCollection();
        services.AddKafkaClient().AddProducer("p", "a");
        var error = Assert.Throws<InvalidOperationException>(() => services.AddKafkaClient("other").AddProducer("p", "b"));
        Assert.That(error!.Message, Does.Contain("'p'"));
    }

    [Test]
    public async Task Resolving_a_producer_whose_topic_is_not_known_yet_says_to_start_the_host()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        using var host = Build(FastSettings(cluster.BootstrapServers), s => s.AddKafkaClient().AddProducer("early", "not-yet"));
        var error = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredKeyedService<Producer>("early"));
        Assert.That(error!.Message, Does.Contain("not-yet").And.Contain("host starts"));
    }

    [Test]
    public async Task Invalid_producer_options_fail_the_host_start()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("t", 1, 1);
        using var host = Build(FastSettings(cluster.BootstrapServers), s => s.AddKafkaClient()
            .AddProducer("bad", "t", o => o.MaxQueuedMessages = 0));
        var error = Assert.ThrowsAsync<ArgumentException>(() => host.StartAsync());
        Assert.That(error!.Message, Does.Contain("MaxQueuedMessages"));
    }
}
