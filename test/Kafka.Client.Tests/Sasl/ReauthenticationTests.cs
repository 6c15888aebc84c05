using System.Buffers.Binary;
using System.Collections.Concurrent;
using Kafka.Client.Internal.Groups;
using Kafka.Client.Tests.Groups;
using Kafka.Client.Tests.Producing;
using Kafka.Testing;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Client.Tests.Sasl.SaslTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Sasl;

/// <summary>
/// KIP-368 re-authentication: the proxies grant short sessions and close a connection that sends a request after its
/// session ended; the client must renew every session in time without failing, losing or reordering anything. The
/// client and the proxies share a fake clock (<see cref="SessionClock"/>), so many sessions pass in little real time.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ReauthenticationTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);

    /// <summary>Timeouts that the fast-moving fake clock must not reach while real work is in flight.</summary>
    private static void LongTimeouts(KafkaClientOptions options)
    {
        options.SocketTimeout = TimeSpan.FromHours(1);
        options.ConnectTimeout = TimeSpan.FromHours(1);
        options.OffsetsChannelSocketTimeout = TimeSpan.FromHours(1);
    }

    [Test]
    public async Task Producing_50000_messages_across_re_authentications_loses_and_reorders_nothing()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sasl = SaslCluster.Start(SaslCluster.Options("SCRAM-SHA-256", lifetime: Lifetime, time: clock), brokers: 3);
        const int partitions = 6;
        sasl.Cluster.CreateTopic("renewed", partitions);
        for (var p = 0; p < partitions; p++)
        {
            sasl.Cluster.SetPartitionLeader("renewed", p, 1 + (p % 3));
        }
        var sessions = new SessionClock(clock, sasl.Proxies.Values, Lifetime);
        await using var client = NewClient(sasl, Config("SCRAM-SHA-256"), tls: false, time: clock, configure: LongTimeouts);
        await client.UpdateClusterAsync(Timeout());
        var topic = client.Topics["renewed"];
        await using var producer = topic.GetProducer(new ProducerOptions { DeliveryTimeout = TimeSpan.FromDays(20), Linger = TimeSpan.FromMilliseconds(50) });

        var phase = System.Diagnostics.Stopwatch.StartNew();
        const int total = 50_000;
        const int chunks = 10;
        var reports = new Task<DeliveryReport>[total];
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            var renewedBefore = sessions.Reauthentications;
            for (var i = chunk * (total / chunks); i < (chunk + 1) * (total / chunks); i++)
            {
                var value = new byte[8];
                BinaryPrimitives.WriteInt64BigEndian(value, i);
                reports[i] = producer.ProduceAsync(value, BitConverter.GetBytes(i % 97)).AsTask();
            }
            // Sessions end and are renewed while this chunk's batches are written and answered.
            await sessions.RunUntilAsync(() => sessions.Reauthentications >= renewedBefore + 3 && reports.Take((chunk + 1) * (total / chunks)).All(r => r.IsCompleted),
                $"chunk {chunk} delivered across re-authentications");
        }

        TestContext.Out.WriteLine($"produced in {phase.Elapsed}");
        var delivered = await Task.WhenAll(reports);
        Assert.That(delivered.Where(r => !r.IsDelivered).Select(r => r.Error!.Message).Take(3), Is.Empty, "nothing failed");
        var connectionsBefore = sasl.Proxies.Values.Sum(p => p.AuthenticationCount);
        // Per partition, offsets follow the order the messages were produced in.
        foreach (var partition in delivered.Select((r, i) => (r, i)).GroupBy(x => x.r.Partition))
        {
            var offsets = partition.OrderBy(x => x.i).Select(x => x.r.Offset).ToList();
            Assert.That(offsets, Is.Ordered.Ascending, $"partition {partition.Key}");
            Assert.That(offsets.Distinct().Count(), Is.EqualTo(offsets.Count));
        }
        Assert.That(sessions.Reauthentications, Is.GreaterThanOrEqualTo(3 * chunks));
        Assert.That(sasl.Proxies.Values.Sum(p => p.ExpiredSessionsClosed), Is.Zero);
        Assert.That(sasl.Failures, Is.Empty);
        TestContext.Out.WriteLine($"{sessions.Reauthentications} re-authentications in {sessions.Steps} clock steps; {connectionsBefore} connections authenticated");

        // What the brokers hold, read by Confluent.Kafka straight from the brokers (advertised again without the proxies).
        foreach (var id in sasl.Cluster.BrokerIds)
        {
            sasl.Cluster.SetBrokerHostPort(id, "127.0.0.1", sasl.Cluster.GetBrokerPort(id));
        }
        phase.Restart();
        var stored = ProducerTestSupport.ReadAll(sasl.Cluster, "renewed");
        TestContext.Out.WriteLine($"read back in {phase.Elapsed}");
        Assert.That(stored, Has.Count.EqualTo(total), "every message stored once");
        foreach (var partition in stored.GroupBy(m => m.Partition))
        {
            var sequence = partition.OrderBy(m => m.Offset).Select(m => BinaryPrimitives.ReadInt64BigEndian(m.Value)).ToList();
            Assert.That(sequence, Is.Ordered.Ascending, $"partition {partition.Key} holds its messages in produce order");
        }
    }

    [Test]
    public async Task A_group_member_keeps_its_generation_while_its_coordinator_connection_re_authenticates()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var sasl = SaslCluster.Start(SaslCluster.Options("SCRAM-SHA-512", lifetime: Lifetime, time: clock), brokers: 2);
        sasl.Cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        sasl.Cluster.CreateTopic("beats", 4);
        var sessions = new SessionClock(clock, sasl.Proxies.Values, Lifetime);
        await using var client = NewClient(sasl, Config("SCRAM-SHA-512"), tls: false, time: clock, configure: LongTimeouts);
        await client.UpdateClusterAsync(Timeout());
        var assigned = new ConcurrentQueue<int>();
        var options = GroupTestSupport.Options() with
        {
            SessionTimeout = TimeSpan.FromSeconds(30),
            HeartbeatInterval = TimeSpan.FromSeconds(1),
            RebalanceTimeout = TimeSpan.FromSeconds(60),
        };
        await using var member = new GroupMembership(client.Cluster, "renewing-group", ["beats"], options,
            GroupTestSupport.CoordinatorLookup(client, "renewing-group"),
            new GroupMembershipCallbacks { PartitionsAssigned = (g, _) => { assigned.Enqueue(g.GenerationId); return Task.CompletedTask; } });
        await member.StartAsync(Timeout());
        await sessions.RunUntilAsync(() => member.Assignment.Count == 4, "the member owns the topic");
        var generation = member.Generation;
        var coordinator = member.Coordinator!.Id;
        sasl.Cluster.StartRequestTracking();
        var renewedBefore = sasl.Proxies[coordinator].ReauthenticationCount;

        await sessions.RunUntilAsync(() => sasl.Proxies[coordinator].ReauthenticationCount >= renewedBefore + 6, "the coordinator's connections to re-authenticate three times over");

        var heartbeats = sasl.Cluster.GetRequests().Count(r => r.ApiKey == 12 && r.BrokerId == coordinator);
        TestContext.Out.WriteLine($"{heartbeats} heartbeats, {sessions.Steps} clock steps");
        Assert.That(heartbeats, Is.GreaterThanOrEqualTo(10), "the member kept heartbeating");
        Assert.That(member.Generation, Is.EqualTo(generation), "no rebalance");
        Assert.That(assigned, Has.Count.EqualTo(1), "assigned once");
        Assert.That(member.Failure, Is.Null);
        Assert.That(sasl.Failures, Is.Empty);
    }
}
