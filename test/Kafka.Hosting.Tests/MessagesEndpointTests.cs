using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
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
        await using var app = WebApiSample.CreateApp(["--urls=http://127.0.0.1:0", "--Sample:Telemetry:Exporter=none", $"--Kafka:Hosts={cluster.BootstrapServers}"]);
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

    [Test]
    public async Task Reading_a_topic_that_does_not_exist_answers_404_and_does_not_create_it()
    {
        // The mock creates topics that a Metadata request names with AllowAutoTopicCreation, as auto.create.topics.enable does.
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("orders", partitions: 1, replicationFactor: 1);
        await using var app = WebApiSample.CreateApp(["--urls=http://127.0.0.1:0", "--Sample:Telemetry:Exporter=none", $"--Kafka:Hosts={cluster.BootstrapServers}"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        using var response = await http.GetAsync("/topics/no-such-topic/messages?partition=0");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Topic 'no-such-topic' does not exist."));
        // Confluent.Kafka, listing every topic (which creates none), is the judge of what exists.
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).SetLogHandler((_, _) => { }).Build();
        var topics = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Select(t => t.Topic);
        Assert.That(topics, Does.Contain("orders").And.No.Contain("no-such-topic"));
        await app.StopAsync();
    }

    [TestCase("/topics/orders/messages", "partition")]
    [TestCase("/topics/orders/messages?partition=0&offset=-1", "offset")]
    [TestCase("/topics/orders/messages?partition=first", null)]
    public async Task A_bad_request_is_answered_400_with_problem_details_even_in_development(string path, string? field)
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("orders", partitions: 1, replicationFactor: 1);
        // Development is where a binding failure would otherwise show the developer exception page.
        await using var app = WebApiSample.CreateApp(["--urls=http://127.0.0.1:0", "--Sample:Telemetry:Exporter=none", "--environment=Development", $"--Kafka:Hosts={cluster.BootstrapServers}"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        http.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"); // as a browser asks

        using var response = await http.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(problem.RootElement.GetProperty("status").GetInt32(), Is.EqualTo(400));
        if (field is not null)
        {
            Assert.That(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), Is.True, problem.RootElement.ToString());
        }
        await app.StopAsync();
    }
}
