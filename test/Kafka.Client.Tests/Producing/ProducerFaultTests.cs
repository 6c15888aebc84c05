using System.Text;
using Kafka.Testing;
using static Kafka.Client.Tests.Producing.ProducerTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Producing;

/// <summary>
/// Faults under acks=all while messages stream: afterwards every message reported delivered is in the log, every
/// other one was reported failed, each partition keeps its order, and — with idempotence — each message was written
/// under exactly one (producer id, epoch, sequence), so a broker that checks sequences keeps exactly one copy.
/// </summary>
/// <remarks>
/// The mock broker checks sequence numbers only for transactional producers, so it stores a retried batch again
/// where a real broker answers DUPLICATE_SEQUENCE_NUMBER. The tests therefore count copies twice: as the mock
/// stores them (what an independent consumer reads), and by distinct sequence stamp (what Kafka would store).
/// </remarks>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ProducerFaultTests
{
    private const int Messages = 1500;
    private const int Chunk = 100;
    private const string TopicName = "faults";

    private sealed record Outcome(Dictionary<int, DeliveryReport> Delivered, Dictionary<int, Exception> Failed, List<PeerMessage> Read, List<StoredRecord> Log);

    private static async Task<Outcome> StreamAsync(MockKafkaCluster cluster, KafkaClient client, bool idempotent, Func<Task> fault,
        ProducerOptions? options = null)
    {
        var topic = await client.Topics.GetAsync(TopicName, Timeout());
        options ??= new ProducerOptions();
        options.EnableIdempotence = idempotent;
        options.RequiredAcks = RequiredAcks.All;
        options.Linger = TimeSpan.FromMilliseconds(2);
        options.RetryBackoff = TimeSpan.FromMilliseconds(20);
        options.RetryBackoffMax = TimeSpan.FromMilliseconds(200);
        var tasks = new Task<DeliveryReport>[Messages];
        await using (var producer = topic.GetProducer(options))
        {
            Assert.That(producer.IsIdempotent, Is.EqualTo(idempotent));
            for (var start = 0; start < Messages; start += Chunk)
            {
                for (var i = start; i < start + Chunk; i++)
                {
                    tasks[i] = producer.ProduceAsync(Bytes($"m{i:D5}"), Bytes($"k{i % 16}"), cancellationToken: Timeout(TimeSpan.FromSeconds(60))).AsTask();
                }
                if (start == Messages / 3 / Chunk * Chunk)
                {
                    await fault(); // while the chunks before are in flight
                }
                if (start >= 2 * Chunk)
                {
                    // Keep about two chunks in flight: a stream, not a burst.
                    await Task.WhenAll(tasks.AsSpan(start - (2 * Chunk), Chunk).ToArray()).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
            await Task.WhenAll(tasks).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(90));
        }
        var delivered = new Dictionary<int, DeliveryReport>();
        var failed = new Dictionary<int, Exception>();
        for (var i = 0; i < Messages; i++)
        {
            Assert.That(tasks[i].IsCompleted, Is.True, $"message {i} has an outcome");
            if (tasks[i].IsCompletedSuccessfully)
            {
                delivered[i] = tasks[i].Result;
            }
            else
            {
                failed[i] = tasks[i].Exception!.InnerException!;
            }
        }
        return new Outcome(delivered, failed, ReadAll(cluster, TopicName), await RawLog.ReadAsync(client, TopicName, Timeout()));
    }

    private static int IdOf(byte[]? value) => int.Parse(Encoding.UTF8.GetString(value!).AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);

    private static void AssertOutcome(Outcome outcome, bool idempotent, string scenario)
    {
        var copies = outcome.Read.GroupBy(m => IdOf(m.Value)).ToDictionary(g => g.Key, g => g.Count());
        var duplicates = copies.Values.Sum() - copies.Count;
        TestContext.Out.WriteLine($"{scenario}, idempotence {(idempotent ? "on" : "off")}: {outcome.Delivered.Count} delivered, {outcome.Failed.Count} failed, " +
                                  $"{outcome.Read.Count} records read back, {duplicates} duplicate copies stored");

        foreach (var (id, report) in outcome.Delivered)
        {
            Assert.That(copies.ContainsKey(id), Is.True, $"{scenario}: delivered message {id} is in the log");
            Assert.That(report.Offset, Is.GreaterThanOrEqualTo(-1));
        }
        foreach (var (id, error) in outcome.Failed)
        {
            Assert.That(error, Is.InstanceOf<KafkaException>(), $"{scenario}: message {id} failed with a reason");
        }
        Assert.That(outcome.Delivered.Count + outcome.Failed.Count, Is.EqualTo(Messages));

        // Per partition, first copies appear in the order the messages were produced.
        foreach (var partition in outcome.Read.GroupBy(m => m.Partition))
        {
            var seen = new HashSet<int>();
            var order = partition.OrderBy(m => m.Offset).Select(m => IdOf(m.Value)).Where(seen.Add).ToList();
            Assert.That(order, Is.Ordered, $"{scenario}: partition {partition.Key} keeps the produce order");
        }

        if (idempotent)
        {
            // What a broker that checks sequences keeps: one copy per distinct (producer id, epoch, sequence).
            foreach (var message in outcome.Log.GroupBy(r => IdOf(Encoding.UTF8.GetBytes(r.Value!))))
            {
                var stamps = message.Select(r => (r.ProducerId, r.ProducerEpoch, r.BaseSequence + r.IndexInBatch)).Distinct().Count();
                Assert.That(stamps, Is.EqualTo(1), $"{scenario}: message {message.Key} was sent under {stamps} different sequence stamps");
            }
            Assert.That(outcome.Log.Count, Is.EqualTo(outcome.Read.Count));
        }
    }

    private static async Task<(MockKafkaCluster, KafkaClient)> StartAsync(Action<KafkaClientOptions>? configure = null)
    {
        var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic(TopicName, partitions: 4, replicationFactor: 3);
        var client = NewClient(cluster, configure);
        await client.UpdateClusterAsync(Timeout());
        return (cluster, client);
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Leader_moves_mid_stream(bool idempotent)
    {
        var (cluster, client) = await StartAsync();
        await using var _ = cluster;
        await using var __ = client;
        var outcome = await StreamAsync(cluster, client, idempotent, () =>
        {
            foreach (var (id, partition) in client.Topics[TopicName].Partitions)
            {
                var next = cluster.BrokerIds.First(b => b != partition.Leader!.Id);
                cluster.SetPartitionLeader(TopicName, id, next);
            }
            return Task.CompletedTask;
        });
        AssertOutcome(outcome, idempotent, "leader moved");
        Assert.That(outcome.Failed, Is.Empty, "a moved leader only delays delivery");
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task A_broker_goes_down_and_comes_back(bool idempotent)
    {
        var (cluster, client) = await StartAsync();
        await using var _ = cluster;
        await using var __ = client;
        var leader = client.Topics[TopicName].Partitions[0].Leader!.Id;
        var outcome = await StreamAsync(cluster, client, idempotent, async () =>
        {
            cluster.SetBrokerDown(leader);
            await Task.Delay(700); // the outage itself
            cluster.SetBrokerUp(leader);
        });
        AssertOutcome(outcome, idempotent, "broker down and up");
        Assert.That(outcome.Failed, Is.Empty, "a broker back within the delivery timeout loses nothing");
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Retriable_errors_are_retried(bool idempotent)
    {
        var (cluster, client) = await StartAsync();
        await using var _ = cluster;
        await using var __ = client;
        var outcome = await StreamAsync(cluster, client, idempotent, () =>
        {
            // NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS,
            // NOT_ENOUGH_REPLICAS_AFTER_APPEND, KAFKA_STORAGE_ERROR, and a dropped connection (-195).
            cluster.PushRequestErrors(0, 6, 5, 7, 19, 20, 56, -195, 6, 7);
            return Task.CompletedTask;
        });
        AssertOutcome(outcome, idempotent, "injected errors");
        Assert.That(outcome.Failed, Is.Empty);
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Round_trips_longer_than_the_ack_timeout(bool idempotent)
    {
        // The client gives up on a response after 1 s (SocketTimeout), the broker may take 200 ms to gather acks.
        var (cluster, client) = await StartAsync(o => o.SocketTimeout = TimeSpan.FromSeconds(1));
        await using var _ = cluster;
        await using var __ = client;
        var leader = client.Topics[TopicName].Partitions[1].Leader!.Id;
        var outcome = await StreamAsync(cluster, client, idempotent, () =>
        {
            // Two answers slower than the ack timeout but within the client's patience, then two slower than both:
            // those are written but their answers come too late, so the client retries them.
            cluster.PushBrokerRequestErrorRtts(leader, 0,
                (0, TimeSpan.FromMilliseconds(500)), (0, TimeSpan.FromMilliseconds(500)),
                (0, TimeSpan.FromMilliseconds(1500)), (0, TimeSpan.FromMilliseconds(1500)));
            return Task.CompletedTask;
        }, new ProducerOptions { AckTimeout = TimeSpan.FromMilliseconds(200) });
        AssertOutcome(outcome, idempotent, "slow round trips");
        Assert.That(outcome.Failed, Is.Empty);
    }
}
