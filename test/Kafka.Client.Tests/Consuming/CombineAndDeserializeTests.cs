using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Confluent.Kafka;
using Kafka.Testing;
using static Kafka.Client.Tests.Consuming.ConsumerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Consuming;

/// <summary>
/// What handing messages on needs besides Retain: one retained batch combined from the runs of several consume calls,
/// and a raw message deserialized on the spot (JSON through source-generated metadata), against the mock brokers.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class CombineAndDeserializeTests
{
    [Test]
    public async Task Combine_keeps_the_messages_of_several_calls_in_order_without_copying_until_it_is_disposed()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("runs", 1);
        List<Sent> sent;
        using (var producer = Producer(cluster))
        {
            sent = await ProduceVariedAsync(producer, "runs", 1, 30);
        }
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("runs", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions(o => o.ConsumerTimeout = TimeSpan.Zero));

        // Three consume calls of ten: each retained, then combined (the middle one sliced to its last five).
        using var deadline = new CancellationTokenSource(ConsumeDeadline);
        var runs = new List<MessageBatch>();
        while (runs.Sum(r => r.Count) < 30)
        {
            var batch = await consumer.ConsumeBatchAsync(10, deadline.Token);
            if (batch.Count > 0)
            {
                runs.Add(batch.Retain());
            }
        }
        using var slice = runs[1].Retain(runs[1].Count / 2, runs[1].Count - (runs[1].Count / 2));
        var parts = new List<MessageBatch> { runs[0], slice };
        parts.AddRange(runs.Skip(2));
        var combined = MessageBatch.Combine(parts.ToArray());
        var expectedOffsets = parts.SelectMany(p => p.Select(m => m.Offset)).ToList();
        foreach (var run in runs)
        {
            run.Dispose(); // the combined batch holds the buffers on its own
        }
        slice.Dispose();
        Assert.That(await consumer.ConsumeBatchAsync(10), Is.Empty, "nothing more; the consumer gave back what it delivered");

        Assert.Multiple(() =>
        {
            Assert.That(combined.IsRetained, Is.True);
            Assert.That(combined.Select(m => m.Offset), Is.EqualTo(expectedOffsets), "the batches' messages one batch after another");
            foreach (var message in combined)
            {
                var s = sent.Single(x => x.Offset == message.Offset);
                Assert.That(message.IsValueNull ? null : message.Value.ToArray(), Is.EqualTo(s.Value), $"offset {message.Offset}'s value");
                Assert.That(message.IsPartitionKeyNull ? null : message.PartitionKey.ToArray(), Is.EqualTo(s.Key), $"offset {message.Offset}'s key");
            }
        });
        var view = combined[0];
        combined.Dispose();
        combined.Dispose(); // idempotent
        Assert.That(view.IsAvailable, Is.False);
        Assert.Throws<ObjectDisposedException>(() => MessageBatch.Combine(combined));
        Assert.Throws<ArgumentNullException>(() => MessageBatch.Combine([null!]));
        Assert.That(MessageBatch.Combine(), Is.Empty);
    }

    [Test]
    public async Task A_raw_message_deserializes_into_a_typed_one_that_owns_its_data()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("orders", 1);
        using (var producer = new ProducerBuilder<string?, string?>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).SetLogHandler((_, _) => { }).Build())
        {
            await producer.ProduceAsync("orders", new Message<string?, string?>
            {
                Key = "c-1", Value = "{\"id\":7,\"lines\":[\"a\",\"b\"]}", Headers = new Headers { { "trace", Encoding.UTF8.GetBytes("t1") } },
            });
            await producer.ProduceAsync("orders", new Message<string?, string?> { Key = null, Value = null });
            await producer.ProduceAsync("orders", new Message<string?, string?> { Key = "c-3", Value = "{\"id\": 8, " });
        }
        await using var client = NewClient(cluster);
        var topic = await client.Topics.GetAsync("orders", Timeout());
        await using var consumer = topic.GetSimpleConsumer(FastOptions());
        using var deadline = new CancellationTokenSource(ConsumeDeadline);
        var pieces = new List<MessageBatch>();
        while (pieces.Sum(p => p.Count) < 3)
        {
            pieces.Add((await consumer.ConsumeBatchAsync(3, deadline.Token)).Retain());
        }
        using var kept = MessageBatch.Combine([.. pieces]);
        pieces.ForEach(p => p.Dispose());
        var values = Deserializers.Json(SeamJson.Default.JsonOrder);

        var first = kept[0];
        var typed = first.ToConsumedMessage().Deserialize(Deserializers.Utf8, values);
        var tombstone = kept[1].ToConsumedMessage().Deserialize(Deserializers.Utf8, values);
        var error = Assert.Throws<JsonException>(() => kept[2].ToConsumedMessage().Deserialize(Deserializers.Utf8, values));
        kept.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(typed.PartitionKey, Is.EqualTo("c-1"));
            Assert.That(typed.Value, Is.EqualTo(new JsonOrder(7, ["a", "b"])).Using<JsonOrder>((a, b) => a.Id == b.Id && a.Lines.SequenceEqual(b.Lines)));
            Assert.That(typed.Offset, Is.Zero);
            Assert.That(Encoding.UTF8.GetString(typed.Headers.Single().Value.Span), Is.EqualTo("t1"), "the headers were copied: still readable after the batch is disposed");
            Assert.That(tombstone.PartitionKey, Is.Null);
            Assert.That(tombstone.Value, Is.Null, "a tombstone gives default");
            Assert.That(error, Is.Not.Null);
        });
        Assert.Throws<ObjectDisposedException>(() => first.ToConsumedMessage(), "the batch is disposed");
    }
}

public sealed record JsonOrder(int Id, string[] Lines);

[JsonSerializable(typeof(JsonOrder))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class SeamJson : JsonSerializerContext;
