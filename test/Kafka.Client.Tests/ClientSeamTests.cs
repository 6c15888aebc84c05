using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Kafka.Client.Internal;
using Kafka.Client.Protocol;
using Kafka.Client.Tests.Support;
using Kafka.Testing;
using Polly;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests;

/// <summary>
/// What a host builds on, all public: early refreshes on stale metadata, the "Kafka.Client" meter and activity source,
/// broker reachability, the resilience pipeline.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ClientSeamTests
{
    [Test]
    public async Task A_not_leader_answer_asks_for_an_early_refresh_and_the_lookup_waits_for_it()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("stale", partitions: 1, replicationFactor: 3);
        var logs = new CapturingLoggerFactory();
        await using var client = NewClient(cluster, loggerFactory: logs);
        await client.UpdateClusterAsync(Timeout());

        cluster.PushRequestErrors((short)ApiKey.ListOffsets, (short)KafkaErrorCode.NotLeaderOrFollower);
        await client.Topics["stale"].Partitions[0].LatestAvailableOffsetAsync(Timeout());

        var requests = EarlyRefreshRequests(logs);
        Assert.That(requests, Has.Count.EqualTo(1));
        Assert.That(requests.Single(), Does.Contain("NOT_LEADER_OR_FOLLOWER").And.Contain("stale/0"));
        Assert.That(client.Status.RefreshCount, Is.EqualTo(2), "the lookup retried after a refresh newer than the stale answer");
    }

    [Test]
    public async Task A_healthy_cluster_asks_for_no_early_refresh()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("fine", partitions: 3, replicationFactor: 3);
        var logs = new CapturingLoggerFactory();
        await using var client = NewClient(cluster, loggerFactory: logs);

        await client.UpdateClusterAsync(Timeout());
        await client.Topics["fine"].LatestAvailableOffsetsAsync(Timeout());

        Assert.That(EarlyRefreshRequests(logs), Is.Empty);
        Assert.That(client.Status.RefreshCount, Is.EqualTo(1));
    }

    [Test]
    public void A_leader_missing_from_the_broker_list_is_found()
    {
        var response = new MetadataResponse
        {
            Brokers = [new MetadataBroker(1, "b1", 9092, null)],
            Topics =
            [
                new MetadataTopic(KafkaErrorCode.None, "t", Guid.Empty, false,
                [
                    new MetadataPartition(KafkaErrorCode.None, 0, 1, 0, [1], [1], []),
                    new MetadataPartition(KafkaErrorCode.None, 1, 7, 0, [7], [7], []),
                    new MetadataPartition(KafkaErrorCode.LeaderNotAvailable, 2, -1, 0, [1], [1], []),
                ]),
            ],
        };

        Assert.That(Cluster.FindUnknownLeader(response), Does.Contain("t/1").And.Contain("broker 7"));
        Assert.That(Cluster.FindUnknownLeader(new MetadataResponse { Brokers = response.Brokers }), Is.Null);
    }

    [Test]
    public async Task The_meter_sees_requests_by_api_and_every_opened_connection_closed()
    {
        await using var cluster = MockKafkaCluster.Start(2);
        cluster.CreateTopic("seen", partitions: 2, replicationFactor: 2);
        var clientId = "meter-" + Guid.NewGuid().ToString("N")[..8];
        using var meter = new ClientMeasurements(clientId);
        var client = NewClient(cluster, configure: o => o.ClientId = clientId);

        await client.UpdateClusterAsync(Timeout());
        await client.Topics["seen"].LatestAvailableOffsetsAsync(Timeout());
        var opened = meter.Of(KafkaTelemetry.OpenConnections).Where(m => m.Value > 0).Sum(m => m.Value);
        Assert.That(opened, Is.GreaterThanOrEqualTo(1));
        Assert.That(meter.Of(KafkaTelemetry.RequestDuration).Select(m => m.Tags[KafkaTelemetry.ApiTag]),
            Does.Contain("Metadata").And.Contain("ApiVersions").And.Contain("ListOffsets"));
        Assert.That(meter.Of(KafkaTelemetry.RequestDuration).Where(m => Equals(m.Tags[KafkaTelemetry.ApiTag], "Metadata")).Select(m => m.Tags.ContainsKey(KafkaTelemetry.ErrorTypeTag)),
            Is.All.False);
        Assert.That(meter.Of(KafkaTelemetry.MetadataRefreshes).Sum(m => m.Value), Is.EqualTo(1));

        await client.DisposeAsync();

        Assert.That(meter.Of(KafkaTelemetry.OpenConnections).Sum(m => m.Value), Is.Zero, "every connection counted open is counted closed");
    }

    [Test]
    public async Task A_failed_request_and_refresh_are_measured_with_their_error()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var clientId = "failing-" + Guid.NewGuid().ToString("N")[..8];
        using var meter = new ClientMeasurements(clientId);
        await using var client = NewClient(cluster, configure: o =>
        {
            o.ClientId = clientId;
            o.SocketTimeout = TimeSpan.FromMilliseconds(300);
            o.ConnectTimeout = TimeSpan.FromSeconds(10); // the new connection's two ApiVersions answers take 2 s each
        });
        await client.UpdateClusterAsync(Timeout());

        cluster.SetBrokerRtt(1, TimeSpan.FromSeconds(2));
        Assert.ThrowsAsync<NoBrokersAvailableException>(() => client.UpdateClusterAsync(Timeout()));

        Assert.That(meter.Of(KafkaTelemetry.RequestDuration).Where(m => Equals(m.Tags[KafkaTelemetry.ApiTag], "Metadata"))
            .Select(m => m.Tags.GetValueOrDefault(KafkaTelemetry.ErrorTypeTag)), Has.Some.EqualTo(nameof(KafkaTimeoutException)));
        Assert.That(meter.Of(KafkaTelemetry.MetadataRefreshFailures).Select(m => m.Tags[KafkaTelemetry.ErrorTypeTag]),
            Is.EqualTo(new[] { nameof(NoBrokersAvailableException) }));
        Assert.That(client.Status.ConsecutiveFailures, Is.EqualTo(1));
        Assert.That(client.Status.LastError, Is.InstanceOf<NoBrokersAvailableException>());
    }

    [Test]
    [NonParallelizable] // while it listens, other tests' producers would write trace headers
    public async Task Requests_and_refreshes_are_traced()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var clientId = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == KafkaTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (Equals(a.GetTagItem(KafkaTelemetry.ClientIdTag), clientId))
                {
                    spans.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var client = NewClient(cluster, configure: o => o.ClientId = clientId);

        await client.UpdateClusterAsync(Timeout());

        var refresh = spans.Single(a => a.OperationName == KafkaTelemetry.MetadataRefreshSpan);
        var metadata = spans.First(a => a.OperationName == "Metadata");
        Assert.That(refresh.Kind, Is.EqualTo(ActivityKind.Internal));
        Assert.That(metadata.Kind, Is.EqualTo(ActivityKind.Client));
        Assert.That(metadata.ParentSpanId, Is.EqualTo(refresh.SpanId), "the request is a child of the refresh");
        Assert.That(metadata.GetTagItem("server.port"), Is.EqualTo(cluster.GetBrokerPort(1)));
        Assert.That(metadata.GetTagItem(KafkaTelemetry.SystemTag), Is.EqualTo("kafka"));
        Assert.That(metadata.GetTagItem(KafkaTelemetry.ApiTag), Is.EqualTo("Metadata"));
    }

    [Test]
    public async Task A_broker_is_unreachable_after_a_failed_connection_attempt_and_reachable_after_a_good_one()
    {
        await using var cluster = MockKafkaCluster.Start(2);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        var broker = client.Brokers[2];
        Assert.That(broker.IsReachable, Is.True, "nothing has failed yet");

        cluster.SetBrokerDown(2);
        Assert.ThrowsAsync<KafkaConnectionException>(() => broker.GetConnectionAsync(ConnectionKind.General, Timeout()));
        Assert.That(broker.IsReachable, Is.False);

        cluster.SetBrokerUp(2);
        await WaitUntilAsync(async () =>
        {
            try
            {
                await broker.GetConnectionAsync(ConnectionKind.General, Timeout());
            }
            catch (KafkaConnectionException)
            {
            }
            return broker.IsReachable;
        }, "broker 2 to be reachable again");
    }

    [Test]
    public async Task A_down_broker_is_retried_by_the_connection_attempt_only_not_again_by_the_request()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var address = cluster.GetBrokerAddress(1);
        cluster.SetBrokerDown(1);
        var retries = 0;
        var pipeline = new ResiliencePipelineBuilder()
            .AddRetry(new Polly.Retry.RetryStrategyOptions
            {
                MaxRetryAttempts = 2,
                Delay = TimeSpan.FromMilliseconds(1),
                OnRetry = _ =>
                {
                    Interlocked.Increment(ref retries);
                    return default;
                },
            })
            .Build();
        await using var client = new KafkaClient(new KafkaClientOptions { Hosts = address }, resiliencePipeline: pipeline);

        Assert.ThrowsAsync<NoBrokersAvailableException>(() => client.UpdateClusterAsync(Timeout()));

        Assert.That(retries, Is.EqualTo(2), "two retries of the connection, none multiplied by request retries");
    }

    /// <summary>The reasons of the early refreshes a client's metadata loop was asked for, from its log.</summary>
    private static List<string> EarlyRefreshRequests(CapturingLoggerFactory logs) =>
        [.. logs.Entries.Where(e => e.StartsWith($"Debug {MetadataLoop.LogCategory}[104]", StringComparison.Ordinal))];

    /// <summary>The "Kafka.Client" meter's measurements of one client (by its client id), while it lives.</summary>
    private sealed class ClientMeasurements : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
        private readonly string _clientId;

        public ClientMeasurements(string clientId)
        {
            _clientId = clientId;
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == KafkaTelemetry.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
            _listener.Start();
        }

        public IEnumerable<(string Instrument, double Value, Dictionary<string, object?> Tags)> Of(string instrument) =>
            _measurements.Where(m => m.Instrument == instrument);

        public void Dispose() => _listener.Dispose();

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var dictionary = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                dictionary[tag.Key] = tag.Value;
            }
            if (Equals(dictionary.GetValueOrDefault(KafkaTelemetry.ClientIdTag), _clientId))
            {
                _measurements.Enqueue((instrument.Name, value, dictionary));
            }
        }
    }
}
