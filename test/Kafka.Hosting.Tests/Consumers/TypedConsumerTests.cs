using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Serialization;
using Confluent.Kafka;
using Kafka.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Kafka.Hosting.Tests.Consumers.ConsumerTestKit;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>Typed handlers: keys and values deserialized (JSON through source-generated metadata), bad values to the failure policy.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class TypedConsumerTests
{
    [Test]
    public async Task Values_arrive_deserialized_and_one_that_does_not_deserialize_is_dead_lettered_with_its_original_bytes()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 2, 1);
        cluster.CreateTopic("orders.dlq", 1, 1);
        var orders = new ConcurrentQueue<ConsumedMessage<string?, Order>>();
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(orders);
            s.AddKafkaClient().AddConsumer<OrderHandler, string?, Order>("orders", "billing", o =>
            {
                Fast(o);
                o.ValueDeserializer = Kafka.Client.Deserializers.Json(TestJson.Default.Order);
                o.FailurePolicy = HandlerFailurePolicy.DeadLetter;
                o.DeadLetterTopic = "orders.dlq";
            });
        });
        await host.StartAsync();
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).SetLogHandler((_, _) => { }).Build())
        {
            for (var i = 0; i < 10; i++)
            {
                var value = i == 4 ? "{\"Id\": 4, \"Total\": " : $"{{\"Id\":{i},\"Total\":{i}.5}}";
                await producer.ProduceAsync(new TopicPartition("orders", i % 2), new Message<string, string> { Key = $"c{i}", Value = value });
            }
        }

        await WaitForAsync(() => orders.Count == 9, "every well-formed order handled");
        await WaitForAsync(() => Committed(cluster, "orders", 2, "billing").Values.All(o => o == 5), "committed past the bad one");
        await host.StopAsync();

        Assert.That(orders.Select(m => m.Value.Id).Order(), Is.EqualTo(new[] { 0, 1, 2, 3, 5, 6, 7, 8, 9 }));
        Assert.That(orders.All(m => m.PartitionKey == $"c{m.Value.Id}" && m.Value.Total == m.Value.Id + 0.5m), Is.True);
        using var reader = new ConsumerBuilder<string, byte[]>(new ConsumerConfig { BootstrapServers = cluster.BootstrapServers, GroupId = "reader" }).SetLogHandler((_, _) => { }).Build();
        reader.Assign(new TopicPartitionOffset("orders.dlq", 0, Offset.Beginning));
        var forwarded = reader.Consume(TimeSpan.FromSeconds(10));
        Assert.That(forwarded, Is.Not.Null);
        Assert.That(Encoding.UTF8.GetString(forwarded.Message.Value), Is.EqualTo("{\"Id\": 4, \"Total\": "), "the original bytes");
        Assert.That(Encoding.UTF8.GetString(forwarded.Message.Headers.GetLastBytes(DeadLetterHeaderNames.Error)), Does.StartWith("System.Text.Json.JsonException"));
        Assert.That(OrderHandler.Calls.GetValueOrDefault(4), Is.Zero, "the handler never saw it: no retries of a value that cannot be read");
    }

    [Test]
    public async Task Deserializers_come_from_the_applications_services_when_the_options_set_none()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("counts", 1, 1);
        var orders = new ConcurrentQueue<ConsumedMessage<string?, Order>>();
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(orders);
            s.AddSingleton(Kafka.Client.Deserializers.Json(TestJson.Default.Order));
            s.AddKafkaClient().AddConsumer<OrderHandler, string?, Order>("counts", "billing", Fast);
        });
        await host.StartAsync();
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).SetLogHandler((_, _) => { }).Build())
        {
            await producer.ProduceAsync("counts", new Message<Null, string> { Value = "{\"Id\":100,\"Total\":1}" });
        }

        await WaitForAsync(() => orders.Count == 1, "the order handled");
        await host.StopAsync();
        Assert.That(orders.Single().Value.Id, Is.EqualTo(100));
        Assert.That(orders.Single().PartitionKey, Is.Null, "a null key, read by the built-in text deserializer");
    }

    [Test]
    public void Without_a_deserializer_for_the_value_type_the_start_fails_naming_it()
    {
        using var host = Support.TestHosts.Build(Support.TestHosts.FastSettings("127.0.0.1:1"), s => s.AddKafkaClient().AddConsumer<OrderHandler, string?, Order>("orders", "billing"));

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Message, Does.Contain("ValueDeserializer: must be set for values of type Order").And.Not.Contain("KeyDeserializer"));
    }
}

public sealed record Order(int Id, decimal Total);

[JsonSerializable(typeof(Order))]
internal sealed partial class TestJson : JsonSerializerContext;

internal sealed class OrderHandler(ConcurrentQueue<ConsumedMessage<string?, Order>> orders) : IKafkaMessageHandler<string?, Order>
{
    public static ConcurrentDictionary<int, int> Calls { get; } = new();

    public Task HandleAsync(ConsumedMessage<string?, Order> message, CancellationToken cancellationToken)
    {
        Calls.AddOrUpdate(message.Value.Id, 1, (_, n) => n + 1);
        orders.Enqueue(message);
        return Task.CompletedTask;
    }
}
