using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Kafka.Client;
using Kafka.Hosting.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using static Kafka.Hosting.Tests.Consumers.ConsumerTestKit;

namespace Kafka.Hosting.Tests;

/// <summary>
/// Messaging spans and metrics as an application sees them through OpenTelemetry (AddKafkaInstrumentation and the
/// in-memory exporter), against the mock brokers, with Confluent.Kafka reading what the producer carried. Not run
/// beside other tests: an OpenTelemetry provider listens process-wide, and while it does every producer in the process
/// writes trace headers.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class MessagingTelemetryTests
{
    private static readonly ActivitySource Origin = new("Kafka.Hosting.Tests.Origin");

    [Test]
    public async Task A_span_around_a_produce_is_the_ancestor_of_the_handlers_process_span_in_another_host()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 2, 1);
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(Origin.Name).AddKafkaInstrumentation().AddInMemoryExporter(spans).Build();
        var seen = new TraceJournal();
        using var consumerHost = Host(cluster, s =>
        {
            s.AddSingleton(seen);
            s.AddKafkaClient().AddConsumer<TraceRecordingHandler>("orders", "billing", Fast);
        });
        using var producerHost = Host(cluster, s => s.AddKafkaClient());
        await consumerHost.StartAsync();
        await producerHost.StartAsync();
        var client = producerHost.Services.GetRequiredService<KafkaClient>();
        await client.UpdateClusterAsync();
        await using var producer = client.Topics["orders"].GetProducer();

        ActivityTraceId traceId;
        ActivitySpanId rootId;
        using (var root = Origin.StartActivity("POST /topics/orders/messages", ActivityKind.Server)!)
        {
            root.AddBaggage("tenant", "acme");
            traceId = root.TraceId;
            rootId = root.SpanId;
            await producer.ProduceAsync(Encoding.UTF8.GetBytes("order 1"), Encoding.UTF8.GetBytes("order-1"));
            Assert.That(Activity.Current, Is.SameAs(root), "the send span does not stay current after the call");
        }

        await WaitForAsync(() => seen.Calls.Count == 1, "the handler called");
        await WaitForAsync(() => Snapshot(spans).Any(a => a.OperationName == "process orders" && a.TraceId == traceId), "the process span exported");
        tracing.ForceFlush();
        var exported = Snapshot(spans).Where(a => a.TraceId == traceId).ToList();
        var send = exported.Single(a => a.OperationName == "send orders");
        var process = exported.Single(a => a.OperationName == "process orders");
        var call = seen.Calls.Single();
        await consumerHost.StopAsync();
        await producerHost.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(send.Kind, Is.EqualTo(ActivityKind.Producer));
            Assert.That(send.ParentSpanId, Is.EqualTo(rootId), "send is a child of the span around the produce");
            Assert.That(Tags(send), Is.SupersetOf(new Dictionary<string, object?>
            {
                ["messaging.system.name"] = "kafka",
                ["messaging.operation.name"] = "send",
                ["messaging.operation.type"] = "send",
                ["messaging.destination.name"] = "orders",
                ["messaging.destination.partition.id"] = call.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["kafka.offset"] = 0L,
                ["kafka.message.key"] = "order-1",
            }));
            Assert.That(process.Kind, Is.EqualTo(ActivityKind.Consumer));
            Assert.That(process.ParentSpanId, Is.EqualTo(send.SpanId), "process is a child of the context the message carried");
            Assert.That(Tags(process), Is.SupersetOf(new Dictionary<string, object?>
            {
                ["messaging.system.name"] = "kafka",
                ["messaging.operation.name"] = "process",
                ["messaging.operation.type"] = "process",
                ["messaging.destination.name"] = "orders",
                ["messaging.consumer.group.name"] = "billing",
                ["kafka.offset"] = 0L,
                ["kafka.message.key"] = "order-1",
            }));
            Assert.That(call.SpanId, Is.EqualTo(process.SpanId), "the handler runs under the process span");
            Assert.That(call.Tenant, Is.EqualTo("acme"), "baggage travels with the message");
            Assert.That(process.Status, Is.EqualTo(ActivityStatusCode.Unset));
        });
    }

    [Test]
    public async Task Confluent_Kafka_reads_the_traceparent_the_producer_wrote_and_a_header_the_caller_set_wins()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("carried", 1, 1);
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(Origin.Name).AddKafkaInstrumentation().AddInMemoryExporter(spans).Build();
        await using var client = await ClientAsync(cluster);
        await using var producer = client.Topics["carried"].GetProducer();
        await using var quiet = client.Topics["carried"].GetProducer(new ProducerOptions { PropagateTraceContext = false });
        var mine = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

        using (Origin.StartActivity("work"))
        {
            await producer.ProduceAsync(Encoding.UTF8.GetBytes("carried"));
            await producer.ProduceAsync(Encoding.UTF8.GetBytes("mine"), headers: [new KafkaHeader("traceparent", Encoding.UTF8.GetBytes(mine))]);
            await quiet.ProduceAsync(Encoding.UTF8.GetBytes("quiet"));
        }
        tracing.ForceFlush();
        var sends = Snapshot(spans).Where(a => a.OperationName == "send carried").OrderBy(a => (long)a.GetTagItem("kafka.offset")!).ToList();

        var read = ReadWithConfluent(cluster, "carried", 3);
        string[] TraceParents(int i) => [.. read[i].Message.Headers.Where(h => h.Key == "traceparent").Select(h => Encoding.UTF8.GetString(h.GetValueBytes()))];
        Assert.Multiple(() =>
        {
            Assert.That(sends, Has.Count.EqualTo(3));
            Assert.That(TraceParents(0), Is.EqualTo(new[] { sends[0].Id }), "the send span's context, in W3C form");
            Assert.That(sends[0].Id, Does.StartWith($"00-{sends[0].TraceId}-{sends[0].SpanId}-"));
            Assert.That(TraceParents(1), Is.EqualTo(new[] { mine }), "the caller's own header is kept and not doubled");
            Assert.That(TraceParents(2), Is.Empty, "PropagateTraceContext off");
            Assert.That(read[2].Message.Headers.Count, Is.Zero);
        });
    }

    [Test]
    public async Task Metrics_count_what_was_produced_and_consumed_and_lag_rises_while_the_consumer_waits_and_falls_to_zero()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("metered", 1, 1);
        var clientId = "metered-" + Guid.NewGuid().ToString("N")[..8];
        var metrics = new List<MetricSnapshot>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddKafkaInstrumentation().AddInMemoryExporter(metrics).Build();
        await using var client = await ClientAsync(cluster, clientId);
        var topic = client.Topics["metered"];
        await using var producer = topic.GetProducer();
        for (var i = 0; i < 10; i++)
        {
            await producer.ProduceAsync(Encoding.UTF8.GetBytes($"m{i}"));
        }
        await using var consumer = topic.GetSimpleConsumer(new SimpleConsumerOptions { AutoOffsetReset = OffsetType.Earliest, FetchWaitMax = TimeSpan.FromMilliseconds(50) });

        Assert.That(await consumer.ConsumeAsync(), Is.Not.Null);
        await WaitForAsync(() => consumer.Lag.GetValueOrDefault(0) == 9, "lag 9 after one of ten consumed");
        for (var i = 10; i < 30; i++)
        {
            await producer.ProduceAsync(Encoding.UTF8.GetBytes($"m{i}"));
        }
        await WaitForAsync(() => consumer.Lag.GetValueOrDefault(0) == 29, "lag rises as the fetches see the new high watermark");
        Assert.That(Points(meters, metrics, clientId, KafkaTelemetry.ConsumerLag).Last(), Is.EqualTo(29), "the gauge says the same");
        for (var i = 1; i < 30; i++)
        {
            Assert.That((await consumer.ConsumeAsync())!.Offset, Is.EqualTo(i));
        }
        await WaitForAsync(() => consumer.Lag.GetValueOrDefault(0, -1) == 0, "caught up");

        Assert.Multiple(() =>
        {
            Assert.That(Points(meters, metrics, clientId, KafkaTelemetry.ConsumerLag).Last(), Is.Zero);
            Assert.That(Points(meters, metrics, clientId, KafkaTelemetry.SentMessages).Last(), Is.EqualTo(30));
            Assert.That(Points(meters, metrics, clientId, KafkaTelemetry.ConsumedMessages).Last(), Is.EqualTo(30));
            Assert.That(Points(meters, metrics, clientId, KafkaTelemetry.SentBytes).Last(), Is.GreaterThan(30 * 3));
            Assert.That(Points(meters, metrics, clientId, KafkaTelemetry.ConsumedBytes).Last(), Is.GreaterThan(30 * 3));
            Assert.That(Points(meters, metrics, clientId, KafkaTelemetry.OperationDuration).Last(), Is.EqualTo(30), "one send duration per batch: each ProduceAsync was awaited alone");
            Assert.That(Points(meters, metrics, clientId, KafkaTelemetry.ProducerQueuedMessages).Last(), Is.Zero);
        });
    }

    [Test]
    public async Task A_hosted_consumers_lag_falls_to_zero_and_its_batches_get_a_process_span_linked_to_each_message()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("batched", 1, 1);
        var spans = new List<Activity>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(Origin.Name).AddKafkaInstrumentation().AddInMemoryExporter(spans).Build();
        var metrics = new List<MetricSnapshot>();
        using var meters = Sdk.CreateMeterProviderBuilder().AddKafkaInstrumentation().AddInMemoryExporter(metrics).Build();
        using var host = Host(cluster, s => s.AddKafkaClient().AddBatchConsumer<NoOpBatchHandler>("batched", "ledger", o =>
        {
            Fast(o);
            o.MaxBatchSize = 100;
            o.MaxBatchWait = TimeSpan.FromMilliseconds(200);
        }));
        await host.StartAsync();
        await using var client = await ClientAsync(cluster);
        await using var producer = client.Topics["batched"].GetProducer(new ProducerOptions { Linger = TimeSpan.FromMilliseconds(50) });
        ActivityTraceId traceId;
        using (var root = Origin.StartActivity("import"))
        {
            traceId = root!.TraceId;
            await Task.WhenAll(Enumerable.Range(0, 5).Select(i => producer.ProduceAsync(Encoding.UTF8.GetBytes($"b{i}")).AsTask()));
        }
        var service = Service(host);
        int batchCount() => Snapshot(spans).Count(a => a.OperationName == "process batched");
        await WaitForAsync(() => Snapshot(spans).Where(a => a.OperationName == "process batched").Sum(a => (int)a.GetTagItem("messaging.batch.message_count")!) == 5,
            "every message processed in batch spans");
        await WaitForAsync(() => service.Consumer?.Lag.GetValueOrDefault(new TopicAndPartition("batched", 0), -1) == 0, "the group member caught up");
        await WaitForAsync(() => Points(meters, metrics, KafkaTelemetry.ConsumerGroupTag, "ledger", KafkaTelemetry.OperationDuration, "commit").Last() >= 1, "a commit measured");
        var group = KafkaTelemetry.ConsumerGroupTag;
        Assert.That(Points(meters, metrics, group, "ledger", KafkaTelemetry.Rebalances).Last(), Is.GreaterThanOrEqualTo(1), "the assignment counted");
        Assert.That(Points(meters, metrics, group, "ledger", KafkaTelemetry.ProcessDuration).Last(), Is.EqualTo(batchCount()), "a process duration per batch");
        Assert.That(Points(meters, metrics, group, "ledger", KafkaTelemetry.ConsumedMessages).Last(), Is.EqualTo(5));
        Assert.That(Points(meters, metrics, group, "ledger", KafkaTelemetry.ConsumerLag).Last(), Is.Zero);
        var batches = Snapshot(spans).Where(a => a.OperationName == "process batched").ToList();
        var sends = Snapshot(spans).Where(a => a.OperationName == "send batched" && a.TraceId == traceId).Select(a => a.SpanId).ToList();
        await host.StopAsync();

        Assert.That(sends, Has.Count.EqualTo(5));
        Assert.That(batches.SelectMany(b => b.Links).Select(l => l.Context.SpanId), Is.EquivalentTo(sends), "a link to each message's send span");
        Assert.That(batches.Select(b => b.GetTagItem("messaging.consumer.group.name")), Is.All.EqualTo("ledger"));
    }

    private static async Task<KafkaClient> ClientAsync(Kafka.Testing.MockKafkaCluster cluster, string? clientId = null)
    {
        var client = new KafkaClient(new KafkaClientOptions { Hosts = cluster.BootstrapServers, ClientId = clientId ?? "telemetry-tests" });
        await client.UpdateClusterAsync();
        return client;
    }

    private static List<ConsumeResult<byte[], byte[]>> ReadWithConfluent(Kafka.Testing.MockKafkaCluster cluster, string topic, int count)
    {
        using var reader = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "reader-" + Guid.NewGuid().ToString("N")[..8],
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        reader.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var read = new List<ConsumeResult<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + Deadline;
        while (read.Count < count && DateTime.UtcNow < deadline)
        {
            if (reader.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
            {
                read.Add(result);
            }
        }
        Assert.That(read, Has.Count.EqualTo(count), "Confluent.Kafka read every message");
        return read;
    }

    /// <summary>The exported spans so far (the exporter appends from the threads that end them).</summary>
    private static List<Activity> Snapshot(List<Activity> spans)
    {
        lock (spans)
        {
            return [.. spans];
        }
    }

    private static Dictionary<string, object?> Tags(Activity activity) => activity.TagObjects.ToDictionary(t => t.Key, t => t.Value);

    /// <summary>
    /// Each export of <paramref name="name"/>'s points of the client <paramref name="clientId"/>, summed over their
    /// attributes (for a histogram: its count), after a collection forced now.
    /// </summary>
    private static List<double> Points(MeterProvider meters, List<MetricSnapshot> metrics, string clientId, string name) =>
        Points(meters, metrics, KafkaTelemetry.ClientIdTag, clientId, name);

    private static List<double> Points(MeterProvider meters, List<MetricSnapshot> metrics, string tagKey, string tagValue, string name, string? operation = null)
    {
        lock (metrics)
        {
            metrics.Clear();
        }
        meters.ForceFlush();
        var result = new List<double>();
        lock (metrics)
        {
            foreach (var metric in metrics.Where(m => m.Name == name))
            {
                double total = 0;
                foreach (var point in metric.MetricPoints)
                {
                    var ofClient = false;
                    var ofOperation = operation is null;
                    foreach (var tag in point.Tags)
                    {
                        ofClient |= tag.Key == tagKey && Equals(tag.Value, tagValue);
                        ofOperation |= tag.Key == KafkaTelemetry.OperationNameTag && Equals(tag.Value, operation);
                    }
                    ofClient &= ofOperation;
                    if (ofClient)
                    {
                        total += metric.MetricType switch
                        {
                            MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong(),
                            MetricType.LongGauge => point.GetGaugeLastValueLong(),
                            MetricType.Histogram => point.GetHistogramCount(),
                            MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => point.GetSumDouble(),
                            _ => point.GetGaugeLastValueDouble(),
                        };
                    }
                }
                result.Add(total);
            }
        }
        return result.Count == 0 ? [double.NaN] : result;
    }
}

/// <summary>What a traced handler saw: its current span and the baggage it carried.</summary>
internal sealed class TraceJournal
{
    public ConcurrentQueue<(ActivitySpanId SpanId, int Partition, string? Tenant)> Calls { get; } = new();
}

internal sealed class TraceRecordingHandler(TraceJournal journal) : IKafkaMessageHandler
{
    public Task HandleAsync(ConsumedMessage message, CancellationToken cancellationToken)
    {
        var current = Activity.Current;
        journal.Calls.Enqueue((current?.SpanId ?? default, message.PartitionId, current?.GetBaggageItem("tenant")));
        return Task.CompletedTask;
    }
}

internal sealed class NoOpBatchHandler : IKafkaBatchHandler
{
    public Task HandleAsync(MessageBatch batch, CancellationToken cancellationToken) => Task.CompletedTask;
}
