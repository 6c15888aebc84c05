using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Kafka.Client.Tests.Balanced;
using static Kafka.Client.Tests.Groups.GroupTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Consuming;

/// <summary>
/// The consumer's spans as an <see cref="ActivityListener"/> sampling everything sees them, against the mock brokers:
/// <c>receive</c> per consume call (kind Client, linked to the producer's <c>send</c> span), <c>commit</c> per offset
/// commit (kind Client, the conventions' settle operation, a child of the current span), and the rebalance spans whose
/// children are the group's offset requests.
/// </summary>
[TestFixture]
[NonParallelizable] // while it listens, other tests' producers would write trace headers
public sealed class ConsumerSpansTests
{
    private const string OriginName = "Kafka.Client.Tests.Origin";
    private static readonly ActivitySource Origin = new(OriginName);

    [Test]
    public async Task Consume_calls_get_receive_spans_commits_get_commit_spans_and_rebalances_parent_their_requests()
    {
        using var cluster = StartCluster(1);
        cluster.CreateTopic("traced", 1, 1);
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == KafkaTelemetry.ActivitySourceName || s.Name == OriginName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var clientId = "spans-" + Guid.NewGuid().ToString("N")[..8];
        await using var client = NewClient(cluster, configure: o => o.ClientId = clientId);
        await client.UpdateClusterAsync(Timeout());
        await using (var producer = client.Topics["traced"].GetProducer())
        {
            for (var i = 0; i < 3; i++)
            {
                await producer.ProduceAsync(Encoding.UTF8.GetBytes($"v{i}"), Encoding.UTF8.GetBytes($"k{i}"));
            }
        }
        var sends = spans.Where(a => a.OperationName == "send traced").OrderBy(a => (long)a.GetTagItem(KafkaTelemetry.OffsetTag)!).ToList();
        Assert.That(sends, Has.Count.EqualTo(3));

        var options = BalancedScenario.Options();
        options.AutoCommitEnable = false;
        var consumer = client.Cluster.GetBalancedConsumer(["traced"], "traced-group", options);
        ConsumedMessage? first;
        Activity poll;
        using (poll = Origin.StartActivity("poll loop")!)
        {
            first = await consumer.ConsumeAsync(Timeout());
            Assert.That(Activity.Current, Is.SameAs(poll), "the receive span ended and left the caller's span current");
            var scope = KafkaTelemetry.StartProcess(first!, "traced-group");
            await consumer.CommitOffsetsAsync(Timeout());
            scope.End();
        }
        // The mock answers a fetch with one record batch, and each message was produced alone: the two left may come in
        // one ConsumeBatchAsync or in two, depending on whether the second fetch has landed.
        var batchSizes = new List<int>();
        while (batchSizes.Sum() < 2)
        {
            batchSizes.Add((await consumer.ConsumeBatchAsync(10, Timeout())).Count);
        }
        Assert.That(batchSizes.Sum(), Is.EqualTo(2));
        await consumer.DisposeAsync();

        var receive = spans.Single(a => a.OperationName == "receive traced" && a.GetTagItem(KafkaTelemetry.BatchMessageCountTag) is null);
        var process = spans.Single(a => a.OperationName == "process traced");
        var commits = spans.Where(a => a.OperationName == "commit traced").ToList();
        var manualCommit = commits.Single(a => a.ParentSpanId == process.SpanId);
        var batchReceives = spans.Where(a => a.OperationName == "receive traced" && a.GetTagItem(KafkaTelemetry.BatchMessageCountTag) is not null)
            .OrderBy(a => a.StartTimeUtc).ToList();
        var assigned = spans.First(a => a.OperationName == KafkaTelemetry.PartitionsAssignedSpan && Equals(a.GetTagItem(KafkaTelemetry.ClientIdTag), clientId));
        var revoked = spans.Last(a => a.OperationName == KafkaTelemetry.PartitionsRevokedSpan && Equals(a.GetTagItem(KafkaTelemetry.ClientIdTag), clientId));
        Assert.Multiple(() =>
        {
            Assert.That(receive.Kind, Is.EqualTo(ActivityKind.Client));
            Assert.That(receive.ParentSpanId, Is.EqualTo(poll.SpanId), "a child of the caller's span");
            Assert.That(receive.Links.Select(l => l.Context.SpanId), Is.EqualTo(new[] { sends[0].SpanId }), "linked to the message's send span");
            Assert.That(receive.StartTimeUtc, Is.LessThanOrEqualTo(process.StartTimeUtc));
            Assert.That(Tags(receive), Is.SupersetOf(new Dictionary<string, object?>
            {
                [KafkaTelemetry.SystemTag] = "kafka",
                [KafkaTelemetry.OperationNameTag] = "receive",
                [KafkaTelemetry.OperationTypeTag] = "receive",
                [KafkaTelemetry.DestinationTag] = "traced",
                [KafkaTelemetry.PartitionTag] = "0",
                [KafkaTelemetry.OffsetTag] = 0L,
                [KafkaTelemetry.MessageKeyTag] = "k0",
                [KafkaTelemetry.ConsumerGroupTag] = "traced-group",
                [KafkaTelemetry.ClientIdTag] = clientId,
            }));

            Assert.That(process.ParentSpanId, Is.EqualTo(sends[0].SpanId), "process is parented by the carried context");
            Assert.That(manualCommit.Kind, Is.EqualTo(ActivityKind.Client));
            Assert.That(Tags(manualCommit), Is.SupersetOf(new Dictionary<string, object?>
            {
                [KafkaTelemetry.SystemTag] = "kafka",
                [KafkaTelemetry.OperationNameTag] = "commit",
                [KafkaTelemetry.OperationTypeTag] = "settle",
                [KafkaTelemetry.DestinationTag] = "traced",
                [KafkaTelemetry.PartitionTag] = "0",
                [KafkaTelemetry.ConsumerGroupTag] = "traced-group",
                [KafkaTelemetry.ClientIdTag] = clientId,
            }));
            Assert.That(manualCommit.GetTagItem(KafkaTelemetry.ErrorTypeTag), Is.Null);
            Assert.That(spans.Where(a => a.OperationName == "OffsetCommit" && a.ParentSpanId == manualCommit.SpanId), Is.Not.Empty,
                "the OffsetCommit request is the commit span's child");

            Assert.That(batchReceives.Select(a => a.GetTagItem(KafkaTelemetry.BatchMessageCountTag)), Is.EqualTo(batchSizes),
                "one span per batch call, counting its messages");
            Assert.That(batchReceives.Select(a => a.Kind), Is.All.EqualTo(ActivityKind.Client));
            Assert.That(batchReceives.Select(a => a.GetTagItem(KafkaTelemetry.OffsetTag)), Is.All.Null, "no per-message attribute on a batch");
            Assert.That(batchReceives.SelectMany(a => a.Links).Select(l => l.Context.SpanId), Is.EqualTo(new[] { sends[1].SpanId, sends[2].SpanId }));

            Assert.That(assigned.Kind, Is.EqualTo(ActivityKind.Internal));
            Assert.That(assigned.GetTagItem(KafkaTelemetry.ConsumerGroupTag), Is.EqualTo("traced-group"));
            Assert.That(assigned.GetTagItem(KafkaTelemetry.PartitionCountTag), Is.EqualTo(1));
            Assert.That(assigned.GetTagItem(KafkaTelemetry.GenerationTag), Is.InstanceOf<int>());
            Assert.That(spans.Where(a => a.OperationName == "OffsetFetch" && a.ParentSpanId == assigned.SpanId), Is.Not.Empty,
                "the start offsets are looked up under the assignment's span");
            Assert.That(revoked.Kind, Is.EqualTo(ActivityKind.Internal));
            Assert.That(commits.Where(a => a.ParentSpanId == revoked.SpanId), Is.Not.Empty, "giving the partition up at disposal commits under the revoke's span");
        });
    }

    private static Dictionary<string, object?> Tags(Activity activity) => activity.TagObjects.ToDictionary(t => t.Key, t => t.Value);
}
