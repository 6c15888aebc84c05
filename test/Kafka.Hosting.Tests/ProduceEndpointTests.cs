using System.Net;
using System.Net.Http.Json;
using Kafka.Hosting.Samples;
using Kafka.Testing;

namespace Kafka.Hosting.Tests;

/// <summary>The web sample's <c>POST /topics/{topic}/messages</c>, producing with the producer registered for the topic.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class ProduceEndpointTests
{
    [Test]
    public async Task A_posted_message_is_produced_and_can_be_read_back()
    {
        await using var cluster = MockKafkaCluster.Start(2);
        cluster.CreateTopic("orders", partitions: 1, replicationFactor: 2);
        await using var app = WebApiSample.CreateApp(["--urls=http://127.0.0.1:0", "--Sample:Telemetry:Exporter=none", $"--Kafka:Hosts={cluster.BootstrapServers}", "--Sample:ProducerTopics:0=orders"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        var posted = await http.PostAsJsonAsync("/topics/orders/messages",
            new MessageToProduce("k1", "first order", null, new Dictionary<string, string?> { ["source"] = "test", ["empty"] = null }));
        Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.OK), await posted.Content.ReadAsStringAsync());
        var written = await posted.Content.ReadFromJsonAsync<ProducedView>();
        Assert.That((written!.Topic, written.Partition, written.Offset), Is.EqualTo(("orders", 0, 0L)));
        var binary = await http.PostAsJsonAsync("/topics/orders/messages", new MessageToProduce(null, null, Convert.ToBase64String([0xff, 0x00, 0x10]), null));
        Assert.That((await binary.Content.ReadFromJsonAsync<ProducedView>())!.Offset, Is.EqualTo(1));

        var page = await http.GetFromJsonAsync<MessagesPage>("/topics/orders/messages?partition=0");
        Assert.That(page!.Messages.Select(m => (m.Key, m.Value)), Is.EqualTo(new (string?, string?)[] { ("k1", "first order"), (null, null) }));
        // The request's trace context, when ASP.NET Core made the request a span, travels with the message beside them.
        Assert.That(page.Messages[0].Headers.Where(h => h.Key is not ("traceparent" or "tracestate" or "baggage")),
            Is.EquivalentTo(new Dictionary<string, string?> { ["source"] = "test", ["empty"] = null }));
        Assert.That(page.Messages[1].ValueBase64, Is.EqualTo(Convert.ToBase64String([0xff, 0x00, 0x10])));
        await app.StopAsync();
    }

    [Test]
    public async Task Unregistered_topics_and_bad_values_are_refused()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("orders", partitions: 1, replicationFactor: 1);
        await using var app = WebApiSample.CreateApp(["--urls=http://127.0.0.1:0", "--Sample:Telemetry:Exporter=none", $"--Kafka:Hosts={cluster.BootstrapServers}", "--Sample:ProducerTopics:0=orders"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        var unknown = await http.PostAsJsonAsync("/topics/elsewhere/messages", new MessageToProduce(null, "x", null, null));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var badBase64 = await http.PostAsJsonAsync("/topics/orders/messages", new MessageToProduce(null, null, "not base64!", null));
        Assert.That(badBase64.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        await app.StopAsync();
    }
}
