using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kafka.Client;
using Kafka.Hosting.Samples;
using Kafka.Hosting.Tests.Support;
using Kafka.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using static Kafka.Hosting.Tests.Support.TestHosts;

namespace Kafka.Hosting.Tests;

/// <summary>The samples' own code, started in-process: the web API on a real Kestrel at 127.0.0.1, the worker's host.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class SampleTests
{
    [Test]
    public async Task The_web_api_answers_cluster_and_health_for_a_configured_cluster()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("orders", partitions: 4, replicationFactor: 3);
        await using var app = WebApiSample.CreateApp(["--urls=http://127.0.0.1:0", "--Sample:Telemetry:Exporter=none", $"--Kafka:Hosts={cluster.BootstrapServers}"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        var view = await PollAsync(http, v => v.Brokers.Count == 3);

        Assert.That(view.Brokers.Select(b => $"{b.Host}:{b.Port}"), Is.EquivalentTo(cluster.BootstrapServers.Split(',')));
        var orders = view.Topics.Single(t => t.Name == "orders");
        Assert.That(orders.Partitions, Has.Count.EqualTo(4));
        Assert.That(orders.Partitions.Select(p => p.Leader), Is.All.Not.Null);
        Assert.That(orders.Partitions[0].Replicas, Has.Count.EqualTo(3));
        await AssertHealthyAsync(http);
        await app.StopAsync();
    }

    [Test]
    public async Task The_web_api_starts_an_embedded_cluster_when_no_hosts_are_configured()
    {
        await using var app = WebApiSample.CreateApp(["--urls=http://127.0.0.1:0", "--Sample:Telemetry:Exporter=none"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        var view = await PollAsync(http, v => v.Brokers.Count == 3);

        Assert.That(view.Topics.Select(t => t.Name), Is.SupersetOf(new[] { "orders", "payments", "audit" }));
        await AssertHealthyAsync(http);
        await app.StopAsync();
    }

    [Test]
    public async Task The_worker_says_first_that_it_started_an_embedded_cluster_then_logs_what_it_sees()
    {
        using var host = BuildWorker([], out var logs);

        await host.StartAsync();
        await WaitUntilAsync(() => logs.Entries.Any(e => e.Message.StartsWith("Cluster ", StringComparison.Ordinal)), "the worker to log the cluster");

        Assert.That(logs.Entries.First().Message, Does.StartWith("No Kafka:Hosts configured: started an embedded MockKafkaCluster with 3 brokers"));
        var seen = logs.Entries.First(e => e.Message.StartsWith("Cluster ", StringComparison.Ordinal)).Message;
        Assert.That(seen, Does.Contain("3 brokers").And.Contain("orders[6]").And.Contain("payments[3]").And.Contain("audit[1]"));
        await host.StopAsync();
    }

    [Test]
    public async Task The_worker_on_its_embedded_cluster_produces_a_few_orders_and_logs_receiving_each()
    {
        using var host = BuildWorker([], out var logs);

        await host.StartAsync();
        var keys = Enumerable.Range(1, SampleOrders.Count).Select(i => $"o-{i}").ToList();
        await WaitUntilAsync(() => keys.All(k => logs.Entries.Any(e => Received(e.Message, k))), "the worker to receive every order it produced");

        foreach (var key in keys)
        {
            var produced = logs.Entries.Single(e => e.Message.StartsWith($"Produced order {key} to orders/", StringComparison.Ordinal)).Message;
            var at = produced[$"Produced order {key} to ".Length..];
            Assert.That(logs.Entries.Where(e => Received(e.Message, key)).Select(e => e.Message), Has.One.StartWith($"Received {at}: key {key}, value {{\"id\":"));
        }
        await host.StopAsync();

        static bool Received(string message, string key) => message.StartsWith("Received orders/", StringComparison.Ordinal) && message.Contains($": key {key}, ", StringComparison.Ordinal);
    }

    [Test]
    public async Task The_worker_logs_changes_a_refresh_finds()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("orders", partitions: 2, replicationFactor: 3);
        using var host = BuildWorker([$"--Kafka:Hosts={cluster.BootstrapServers}", "--Kafka:MetadataRefreshInterval=00:00:01", "--Kafka:MinRefreshGap=00:00:00.100"], out var logs);
        await host.StartAsync();
        await WaitUntilAsync(() => logs.Entries.Any(e => e.Message.StartsWith("Cluster ", StringComparison.Ordinal)), "the worker to log the cluster");
        Assert.That(logs.Entries.First().Message, Does.StartWith($"Using the Kafka cluster at {cluster.BootstrapServers}"));

        var leader = host.Services.GetRequiredService<KafkaClient>().Topics["orders"].Partitions[0].Leader!.Id;
        var newLeader = leader % 3 + 1;

        cluster.CreateTopic("invoices", partitions: 3);
        cluster.SetPartitionLeader("orders", 0, newLeader);

        await WaitUntilAsync(() => logs.Entries.Any(e => e.Message == "Topic invoices created with 3 partitions"), "the new topic in the logs");
        await WaitUntilAsync(() => logs.Entries.Any(e => e.Message == $"Leader of orders/0 moved from broker {leader} to broker {newLeader}"), "the moved leader in the logs");
        await host.StopAsync();
    }

    [Test]
    public async Task The_worker_logs_the_orders_it_receives()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        cluster.CreateTopic("orders", partitions: 2, replicationFactor: 1);
        using var host = BuildWorker([$"--Kafka:Hosts={cluster.BootstrapServers}"], out var logs);
        await host.StartAsync();
        using (var producer = new Confluent.Kafka.ProducerBuilder<string, string>(new Confluent.Kafka.ProducerConfig { BootstrapServers = cluster.BootstrapServers })
                   .SetLogHandler((_, _) => { }).Build())
        {
            await producer.ProduceAsync(new Confluent.Kafka.TopicPartition("orders", 1), new Confluent.Kafka.Message<string, string> { Key = "o-1", Value = "two pencils" });
        }

        await WaitUntilAsync(() => logs.Entries.Any(e => e.Message == "Received orders/1@0: key o-1, value two pencils"), "the worker to log the order");
        await host.StopAsync();
        // On a configured cluster the worker only consumes: the sample orders are for its embedded cluster.
        Assert.That(logs.Entries.Select(e => e.Message), Has.None.StartWith("Produced order"));
        Assert.That(host.Services.GetKeyedService<Producer>(SampleOrders.ProducerName), Is.Null);
    }

    /// <summary>The worker sample's host, its log lines captured.</summary>
    private static IHost BuildWorker(string[] args, out LogCapture logs)
    {
        logs = new LogCapture();
        var builder = WorkerSample.CreateBuilder(args);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        return builder.Build();
    }

    private static async Task<ClusterView> PollAsync(HttpClient http, Func<ClusterView, bool> until)
    {
        ClusterView? view = null;
        await WaitUntilAsync(() =>
        {
            view = http.GetFromJsonAsync<ClusterView>("/cluster", Json).GetAwaiter().GetResult();
            return view is not null && until(view);
        }, "GET /cluster to show the cluster");
        return view!;
    }

    private static async Task AssertHealthyAsync(HttpClient http)
    {
        HttpResponseMessage? response = null;
        await WaitUntilAsync(() =>
        {
            response = http.GetAsync("/health").GetAwaiter().GetResult();
            return response.StatusCode == HttpStatusCode.OK;
        }, "GET /health to answer 200");
        using var body = JsonDocument.Parse(await response!.Content.ReadAsStringAsync());
        Assert.That(body.RootElement.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
        Assert.That(body.RootElement.GetProperty("checks")[0].GetProperty("name").GetString(), Is.EqualTo("kafka"));
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
