using System.Diagnostics;
using System.Net.Sockets;
using Confluent.Kafka;
using Kafka.Testing.Tests.Support;

namespace Kafka.Testing.Tests;

/// <summary>Faults a test can inject: brokers down, slow brokers, failing requests, older API versions.</summary>
public class BrokerFaultTests
{
    [Test]
    public void SetBrokerDown_refuses_connections_and_closes_open_ones_until_SetBrokerUp()
    {
        using var cluster = MockKafkaCluster.Start();
        int port = cluster.GetBrokerPort(2);
        using var open = RawKafka.Connect(port);
        Assert.That(RawKafka.Exchange(open, RawKafka.ApiVersionsKey, 0, []), Is.Not.Null);

        cluster.SetBrokerDown(2);

        Assert.That(RawKafka.IsClosedByPeer(open), Is.True, "the open connection is closed");
        var refused = Assert.Throws<SocketException>(() => RawKafka.Connect(port).Dispose());
        Assert.That(refused!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused));
        Assert.That(RawKafka.ApiVersions(cluster.GetBrokerPort(1)).ErrorCode, Is.EqualTo(0), "other brokers are unaffected");

        cluster.SetBrokerUp(2);

        Assert.That(RawKafka.ApiVersions(port).ErrorCode, Is.EqualTo(0), "same port answers again");
    }

    [Test]
    public void SetBrokerDown_drops_the_broker_from_metadata_but_not_from_partition_leadership()
    {
        using var cluster = MockKafkaCluster.Start();
        using var admin = Peer.Admin(cluster);
        cluster.CreateTopic("led", 1);
        cluster.SetPartitionLeader("led", 0, 2);

        cluster.SetBrokerDown(2);

        WaitUntil(() => !Peer.Metadata(admin, Peer.Short).Brokers.Any(b => b.BrokerId == 2), "broker 2 gone from metadata");
        WaitUntil(() => Peer.Topic(admin, "led", Peer.Short).Partitions.Single().Leader == 2, "partition still led by broker 2");

        cluster.SetBrokerUp(2);

        WaitUntil(() => Peer.Metadata(admin, Peer.Short).Brokers.Any(b => b.BrokerId == 2), "broker 2 back in metadata");
    }

    [Test]
    public void With_every_broker_down_the_peer_gets_no_metadata_until_they_are_up()
    {
        using var cluster = MockKafkaCluster.Start();
        using var admin = Peer.Admin(cluster);

        cluster.SetBrokerDown(-1);

        Assert.Throws<KafkaException>(() => admin.GetMetadata(TimeSpan.FromSeconds(1)));

        cluster.SetBrokerUp(-1);

        WaitUntil(() => Peer.Metadata(admin, Peer.Short).Brokers.Count == 3, "metadata after the brokers are back");
    }

    [Test]
    public void SetBrokerDown_on_an_unknown_broker_names_the_error()
    {
        using var cluster = MockKafkaCluster.Start();

        var ex = Assert.Throws<MockKafkaClusterException>(() => cluster.SetBrokerDown(99));

        Assert.That(ex!.ErrorName, Is.EqualTo("BROKER_NOT_AVAILABLE"));
        Assert.That(ex.Message, Does.Contain("broker 99"));
    }

    [Test]
    public async Task PushRequestErrors_fails_the_next_produce_with_that_error_then_produce_succeeds()
    {
        using var cluster = MockKafkaCluster.Start();
        using var producer = Peer.Producer(cluster);
        cluster.CreateTopic("events", 1);
        await Peer.ProduceAsync(producer, "events", "warm-up");

        cluster.PushRequestErrors(0, 10); // Produce: MESSAGE_TOO_LARGE, not retriable

        var ex = Assert.ThrowsAsync<ProduceException<string, string>>(() => Peer.ProduceAsync(producer, "events", "refused"));
        Assert.That(ex!.Error.Code, Is.EqualTo(ErrorCode.MsgSizeTooLarge));

        var delivered = await Peer.ProduceAsync(producer, "events", "accepted");
        Assert.That(delivered.Status, Is.EqualTo(PersistenceStatus.Persisted));
        Assert.That(delivered.Offset.Value, Is.EqualTo(1), "the refused message was not stored");
    }

    [Test]
    public void PushRequestErrors_are_returned_in_order_to_any_broker_and_can_be_cleared()
    {
        using var cluster = MockKafkaCluster.Start();

        cluster.PushRequestErrors(RawKafka.ApiVersionsKey, 35, 7);

        Assert.That(RawKafka.ApiVersions(cluster.GetBrokerPort(1)).ErrorCode, Is.EqualTo(35));
        Assert.That(RawKafka.ApiVersions(cluster.GetBrokerPort(2)).ErrorCode, Is.EqualTo(7));
        Assert.That(RawKafka.ApiVersions(cluster.GetBrokerPort(3)).ErrorCode, Is.EqualTo(0));

        cluster.PushRequestErrors(RawKafka.ApiVersionsKey, 35);
        cluster.ClearRequestErrors(RawKafka.ApiVersionsKey);

        Assert.That(RawKafka.ApiVersions(cluster.GetBrokerPort(1)).ErrorCode, Is.EqualTo(0));
    }

    [Test]
    public void PushRequestErrors_with_transport_error_closes_the_connection()
    {
        using var cluster = MockKafkaCluster.Start();
        using var socket = RawKafka.Connect(cluster.GetBrokerPort(1));

        cluster.PushRequestErrors(RawKafka.ApiVersionsKey, -195); // librdkafka's _TRANSPORT

        Assert.That(RawKafka.Exchange(socket, RawKafka.ApiVersionsKey, 0, []), Is.Null);
    }

    [Test]
    public void PushBrokerRequestErrorRtts_delays_and_fails_requests_to_that_broker_only()
    {
        using var cluster = MockKafkaCluster.Start();
        var delay = TimeSpan.FromMilliseconds(300);

        cluster.PushBrokerRequestErrorRtts(2, RawKafka.ApiVersionsKey, (0, delay), (7, TimeSpan.Zero));

        Assert.That(RawKafka.ApiVersions(cluster.GetBrokerPort(1)).ErrorCode, Is.EqualTo(0), "broker 1 is not affected");
        var watch = Stopwatch.StartNew();
        Assert.That(RawKafka.ApiVersions(cluster.GetBrokerPort(2)).ErrorCode, Is.EqualTo(0));
        Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(delay - TimeSpan.FromMilliseconds(20)));
        Assert.That(RawKafka.ApiVersions(cluster.GetBrokerPort(2)).ErrorCode, Is.EqualTo(7));
        Assert.That(RawKafka.ApiVersions(cluster.GetBrokerPort(2)).ErrorCode, Is.EqualTo(0));

        var ex = Assert.Throws<MockKafkaClusterException>(() => cluster.PushBrokerRequestErrorRtts(9, 0, (7, TimeSpan.Zero)));
        Assert.That(ex!.ErrorName, Is.EqualTo("_UNKNOWN_BROKER"));
    }

    [Test]
    public void SetBrokerRtt_delays_every_response_of_that_broker()
    {
        using var cluster = MockKafkaCluster.Start();
        var rtt = TimeSpan.FromMilliseconds(300);

        cluster.SetBrokerRtt(3, rtt);

        using var socket = RawKafka.Connect(cluster.GetBrokerPort(3));
        for (int i = 0; i < 2; i++)
        {
            var watch = Stopwatch.StartNew();
            Assert.That(RawKafka.Exchange(socket, RawKafka.ApiVersionsKey, 0, []), Is.Not.Null);
            Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(rtt - TimeSpan.FromMilliseconds(20)), $"request {i}");
        }

        cluster.SetBrokerRtt(3, TimeSpan.Zero);
        var fast = Stopwatch.StartNew();
        Assert.That(RawKafka.Exchange(socket, RawKafka.ApiVersionsKey, 0, []), Is.Not.Null);
        Assert.That(fast.Elapsed, Is.LessThan(rtt));
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.SetBrokerRtt(3, TimeSpan.FromMilliseconds(-1)));
    }

    [Test]
    public void SetApiVersion_limits_what_ApiVersions_advertises_and_the_peer_uses_at_most_that()
    {
        using var cluster = MockKafkaCluster.Start();
        var before = RawKafka.ApiVersions(cluster.GetBrokerPort(1)).Apis[3];
        Assert.That(before.Max, Is.GreaterThan((short)4), "the mock serves newer Metadata versions by default");

        cluster.SetApiVersion(3, 0, 4);

        Assert.That(RawKafka.ApiVersions(cluster.GetBrokerPort(1)).Apis[3], Is.EqualTo(((short)0, (short)4)));

        // librdkafka's protocol debug log names the version of every request it sends.
        var sent = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using (var admin = Peer.Admin(cluster, line => sent.Enqueue(line), debug: "protocol"))
        {
            Assert.That(Peer.Metadata(admin).Brokers, Has.Count.EqualTo(3));
        }

        var metadataVersions = sent
            .Select(line => System.Text.RegularExpressions.Regex.Match(line, @"Sent MetadataRequest \(v(\d+)"))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.That(metadataVersions, Is.Not.Empty, "the peer sent Metadata requests");
        Assert.That(metadataVersions, Is.All.LessThanOrEqualTo(4));
    }

    [Test]
    public void SetApiVersion_rejects_a_request_above_the_limit_and_logs_it()
    {
        var logger = new ListLogger();
        using var cluster = MockKafkaCluster.Start(logger: logger);
        cluster.SetApiVersion(3, 0, 4);

        // Metadata v5: all topics (null array), no auto-creation.
        using var socket = RawKafka.Connect(cluster.GetBrokerPort(1));
        Assert.That(RawKafka.Exchange(socket, 3, 5, [0xff, 0xff, 0xff, 0xff, 0]), Is.Null, "the broker closes the connection");

        WaitUntil(
            () => logger.Entries.Any(e => e.Level == Microsoft.Extensions.Logging.LogLevel.Error && e.Message.Contains("unsupported MetadataRequest version 5", StringComparison.Ordinal)),
            "the mock's error reaches the logger");
        Assert.Throws<MockKafkaClusterException>(() => cluster.SetApiVersion(500, 0, 1));
    }
}
