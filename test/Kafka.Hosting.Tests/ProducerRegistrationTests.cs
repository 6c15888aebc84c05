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
    public async Task A_hosted_service_takes_a_producer_in_its_constructor_and_produces_with_it()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("events", partitions: 1, replicationFactor: 1);
        using var host = Build(FastSettings(cluster.BootstrapServers), s =>
        {
            s.AddKafkaClient().AddProducer("events", "events");
            s.AddHostedService<EventsWorker>(); // built by the host before any hosted service starts
        });
        await host.StartAsync();
        var worker = host.Services.GetServices<IHostedService>().OfType<EventsWorker>().Single();
        await worker.Produced.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(worker.Producer, Is.SameAs(host.Services.GetRequiredKeyedService<Producer>("events")), "the registered producer");
        await host.StopAsync();

        // Read back by Confluent.Kafka.
        using var reader = new Confluent.Kafka.ConsumerBuilder<Confluent.Kafka.Ignore, string>(new Confluent.Kafka.ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "reader",
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        reader.Assign(new Confluent.Kafka.TopicPartitionOffset("events", 0, Confluent.Kafka.Offset.Beginning));
        var values = new List<string>();
        while (values.Count < 3 && reader.Consume(TimeSpan.FromSeconds(30)) is { } result)
        {
            values.Add(result.Message.Value);
        }
        Assert.That(values, Is.EqualTo(new[] { "started 0", "started 1", "started 2" }));
    }

    [Test]
    public async Task Resolving_a_producer_whose_topic_cannot_be_looked_up_names_the_producer_and_topic()
    {
        var settings = FastSettings("127.0.0.1:1"); // nothing listens there
        settings["Kafka:WaitForClusterTimeout"] = "00:00:01";
        using var host = Build(settings, s => s.AddKafkaClient().AddProducer("early", "not-there"));
        var error = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredKeyedService<Producer>("early"));
        Assert.That(error!.Message, Does.Contain("'early'").And.Contain("not-there").And.Contain("WaitForClusterTimeout"));
        Assert.That(error.InnerException, Is.Not.Null, "says why");
        await Task.CompletedTask;
    }

    /// <summary>A hosted service of the application that takes the producer in its constructor, as Microsoft.Extensions users write.</summary>
    private sealed class EventsWorker([FromKeyedServices("events")] Producer producer) : BackgroundService
    {
        private readonly TaskCompletionSource _produced = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Producer Producer => producer;

        public Task Produced => _produced.Task;

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            for (var i = 0; i < 3; i++)
            {
                await producer.ProduceAsync(Bytes($"started {i}"), cancellationToken: stoppingToken);
            }
            _produced.TrySetResult();
        }
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
