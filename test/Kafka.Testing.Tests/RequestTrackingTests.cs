using Confluent.Kafka;
using Kafka.Testing.Tests.Support;

namespace Kafka.Testing.Tests;

/// <summary>Recording which requests a client sent, to which broker, and when.</summary>
public class RequestTrackingTests
{
    private const short Produce = 0;
    private const short Metadata = 3;

    [Test]
    public async Task GetRequests_shows_the_produce_requests_sent_to_the_partition_leader()
    {
        using var cluster = MockKafkaCluster.Start();
        using var producer = Peer.Producer(cluster);
        cluster.CreateTopic("tracked", 1);
        cluster.SetPartitionLeader("tracked", 0, 2);
        await Peer.ProduceAsync(producer, "tracked", "warm-up");

        cluster.StartRequestTracking();
        var before = DateTimeOffset.UtcNow;
        await Peer.ProduceAsync(producer, "tracked", "one");
        await Peer.ProduceAsync(producer, "tracked", "two");
        var after = DateTimeOffset.UtcNow;

        var produces = cluster.GetRequests().Where(r => r.ApiKey == Produce).ToList();
        Assert.That(produces, Has.Count.EqualTo(2));
        Assert.That(produces.Select(r => r.BrokerId), Is.All.EqualTo(2));
        var tolerance = TimeSpan.FromMilliseconds(5);
        Assert.That(produces.Select(r => r.Timestamp), Is.All.InRange(before - tolerance, after + tolerance));
        Assert.That(produces[0].Timestamp, Is.LessThanOrEqualTo(produces[1].Timestamp));
    }

    [Test]
    public async Task With_recordApiVersions_requests_carry_broker_key_and_the_version_seen_on_the_wire()
    {
        using var cluster = MockKafkaCluster.Start(2, recordApiVersions: true);
        cluster.SetApiVersion(Produce, 3, 7);
        cluster.CreateTopic("versions", 1);
        cluster.SetPartitionLeader("versions", 0, 2);
        cluster.StartRequestTracking();
        using var producer = Peer.Producer(cluster);

        await Peer.ProduceAsync(producer, "versions", "one");

        var requests = cluster.GetRequests();
        var produce = requests.Single(r => r.ApiKey == Produce);
        Assert.That(produce.BrokerId, Is.EqualTo(2));
        Assert.That(produce.ApiVersion, Is.EqualTo(7), "Confluent.Kafka uses the highest version the broker allows");
        Assert.That(requests.Where(r => r.ApiKey == Metadata).Select(r => r.ApiVersion), Is.All.Not.Null);
        Assert.That(cluster.BootstrapServers, Does.Contain(cluster.GetBrokerAddress(1)));

        cluster.StopRequestTracking();
        Assert.That(cluster.GetRequests(), Is.Empty);
    }

    [Test]
    public void GetRequests_is_empty_until_tracking_starts_and_Clear_and_Stop_forget_requests()
    {
        using var cluster = MockKafkaCluster.Start();
        int port = cluster.GetBrokerPort(3);

        RawKafka.ApiVersions(port);
        Assert.That(cluster.GetRequests(), Is.Empty, "not tracking yet");

        cluster.StartRequestTracking();
        RawKafka.ApiVersions(port);
        RawKafka.ApiVersions(port);
        Assert.That(cluster.GetRequests(), Has.Count.EqualTo(2));
        Assert.That(cluster.GetRequests()[0], Has.Property(nameof(MockRequest.BrokerId)).EqualTo(3)
            .And.Property(nameof(MockRequest.ApiKey)).EqualTo(RawKafka.ApiVersionsKey));

        cluster.ClearRequests();
        Assert.That(cluster.GetRequests(), Is.Empty, "cleared");
        RawKafka.ApiVersions(port);
        Assert.That(cluster.GetRequests(), Has.Count.EqualTo(1), "still tracking after a clear");

        cluster.StopRequestTracking();
        RawKafka.ApiVersions(port);
        Assert.That(cluster.GetRequests(), Is.Empty, "stopping forgets the requests and records no more");
    }

    [Test]
    public void Tracked_metadata_requests_show_which_brokers_the_peer_asked()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.StartRequestTracking();

        using (var admin = Peer.Admin(cluster))
        {
            Peer.Metadata(admin);
        }

        var metadata = cluster.GetRequests().Where(r => r.ApiKey == Metadata).ToList();
        Assert.That(metadata, Is.Not.Empty);
        Assert.That(metadata.Select(r => r.BrokerId), Is.All.InRange(1, 3));
    }

    [Test]
    public async Task A_consumer_group_joins_through_the_coordinator_set_for_it()
    {
        using var cluster = MockKafkaCluster.Start();
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        cluster.SetCoordinator("group", "readers", 3);
        cluster.CreateTopic("feed", 1);
        using (var producer = Peer.Producer(cluster))
        {
            await Peer.ProduceAsync(producer, "feed", "hello");
        }

        cluster.StartRequestTracking();
        var config = new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "readers",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        };
        using (var consumer = new ConsumerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build())
        {
            consumer.Subscribe("feed");
            ConsumeResult<string, string>? result = null;
            WaitUntil(() => (result = consumer.Consume(TimeSpan.FromMilliseconds(200))) is not null, "a message from the group consumer");
            Assert.That(result!.Message.Value, Is.EqualTo("hello"));
            consumer.Close();
        }

        const short joinGroup = 11, syncGroup = 14;
        var groupRequests = cluster.GetRequests().Where(r => r.ApiKey is joinGroup or syncGroup).ToList();
        Assert.That(groupRequests.Select(r => r.ApiKey), Does.Contain(joinGroup).And.Contain(syncGroup));
        Assert.That(groupRequests.Select(r => r.BrokerId), Is.All.EqualTo(3));
    }

    [Test]
    public async Task SetGroupInitialRebalanceDelay_holds_the_first_assignment_back()
    {
        using var cluster = MockKafkaCluster.Start();
        var delay = TimeSpan.FromSeconds(2);
        cluster.SetGroupInitialRebalanceDelay(delay);
        cluster.CreateTopic("late", 1);
        using (var producer = Peer.Producer(cluster))
        {
            await Peer.ProduceAsync(producer, "late", "hello");
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "patient",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Subscribe("late");
        WaitUntil(() => consumer.Consume(TimeSpan.FromMilliseconds(200)) is not null, "a message after the delay");

        Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(delay));
        consumer.Close();
    }

    [Test]
    public async Task SetPartitionFollower_sends_a_rack_aware_consumer_to_fetch_from_that_broker()
    {
        const short fetch = 1;
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic("nearby", 1, replicationFactor: 3);
        cluster.SetPartitionLeader("nearby", 0, 1);
        cluster.SetPartitionFollower("nearby", 0, 3);
        using (var producer = Peer.Producer(cluster))
        {
            for (int i = 0; i < 5; i++)
            {
                await Peer.ProduceAsync(producer, "nearby", $"m{i}");
            }
        }

        cluster.StartRequestTracking();
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "unused",
            ClientRack = "rack-3",
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        consumer.Assign(new TopicPartitionOffset("nearby", 0, Offset.Beginning));
        int received = 0;
        WaitUntil(() =>
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not null)
            {
                received++;
            }

            return received == 5 && cluster.GetRequests().Any(r => r.ApiKey == fetch && r.BrokerId == 3);
        }, "all messages, and fetches sent to broker 3");
    }

    [Test]
    public void Back_to_back_control_calls_do_not_stall()
    {
        // Without the wake-up workaround about one call in seven waits for the mock thread's 1 s poll timeout.
        using var cluster = MockKafkaCluster.Start();
        cluster.CreateTopic("busy", 1, replicationFactor: 3);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        for (int i = 0; i < 100; i++)
        {
            cluster.SetPartitionLeader("busy", 0, i % 3 + 1);
        }

        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }
}
