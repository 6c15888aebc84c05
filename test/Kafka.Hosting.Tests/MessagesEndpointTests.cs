using System.Net;
using System.Net.Http.Json;
using System.Text;
using Confluent.Kafka;
using Kafka.Hosting.Samples;
using Kafka.Testing;

namespace Kafka.Hosting.Tests;

/// <summary>The web sample's <c>GET /topics/{topic}/messages</c>, reading with a SimpleConsumer.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class MessagesEndpointTests
{
    [Test]
    public async Task Messages_are_read_from_the_offset_asked_for_up_to_the_limit()
    {
        await using var cluster = MockKafkaCluster.Start(2);
        cluster.CreateTopic("orders", partitions: 2, replicationFactor: 2);
        using (var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers })
                   .SetLogHandler((_, _) => { }).Build())
        {
            for (var i = 0; i < 20; i++)
            {
                await producer.ProduceAsync(new TopicPartition("orders", 1), new Message<string?, string>
                {
                    Key = i % 2 == 0 ? $"k{i}" : null,
                    Value = $"order {i}",
                    Headers = [new Header("source", Encoding.UTF8.GetBytes("test"))],
                });
            }
        }
        await using var app = WebApiSample.CreateApp(["--urls=http://127.0.0.1:0", $"--Kafka:Hosts={cluster.BootstrapServers}"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        var page = await http.GetFromJsonAsync<MessagesPage>("/topics/orders/messages?partition=1&offset=5&limit=3");

        Assert.That(page!.Messages.Select(m => m.Offset), Is.EqualTo(new long[] { 5, 6, 7 }));
        Assert.That(page.Messages.Select(m => m.Value), Is.EqualTo(new[] { "order 5", "order 6", "order 7" }));
        Assert.That(page.Messages.Select(m => m.Key), Is.EqualTo(new[] { null, "k6", null }));
        Assert.That(page.Messages[0].Headers["source"], Is.EqualTo("test"));
        Assert.That(page.NextOffset, Is.EqualTo(8));

        var first = await http.GetFromJsonAsync<MessagesPage>("/topics/orders/messages?partition=1");
        Assert.That(first!.Messages.Select(m => m.Offset), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (long)i)), "from the earliest, 10 by default");
        var tail = await http.GetFromJsonAsync<MessagesPage>("/topics/orders/messages?partition=1&offset=18&limit=100");
        Assert.That(tail!.Messages.Select(m => m.Offset), Is.EqualTo(new long[] { 18, 19 }), "stops at the end of the partition");
        var past = await http.GetFromJsonAsync<MessagesPage>("/topics/orders/messages?partition=1&offset=50");
        Assert.That(past!.Messages, Is.Empty);

        Assert.That((await http.GetAsync("/topics/orders/messages?partition=9")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await http.GetAsync("/topics/orders/messages?partition=0&offset=-3")).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        await app.StopAsync();
    }
}
