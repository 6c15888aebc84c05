using System.Collections.Concurrent;
using System.Diagnostics;
using Kafka.Client.Internal;
using Kafka.Client.Protocol;
using Kafka.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests;

/// <summary>The hooks the hosting layer builds on: stale-metadata signals, instrumentation, reachability, retries.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class HostingSeamTests
{
    [Test]
    public async Task A_not_leader_answer_reports_stale_metadata()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("stale", partitions: 1, replicationFactor: 3);
        await using var client = NewClient(cluster);
        await client.UpdateClusterAsync(Timeout());
        var reasons = new ConcurrentQueue<string>();
        client.Cluster.MetadataStale += reasons.Enqueue;

        cluster.PushRequestErrors((short)ApiKey.ListOffsets, (short)KafkaErrorCode.NotLeaderOrFollower);
        await client.Topics["stale"].Partitions[0].LatestAvailableOffsetAsync(Timeout());

        Assert.That(reasons, Has.Count.EqualTo(1));
        Assert.That(reasons.Single(), Does.Contain("NOT_LEADER_OR_FOLLOWER").And.Contain("stale/0"));
    }

    [Test]
    public async Task A_healthy_cluster_reports_nothing_stale()
    {
        await using var cluster = MockKafkaCluster.Start(3);
        cluster.CreateTopic("fine", partitions: 3, replicationFactor: 3);
        await using var client = NewClient(cluster);
        var reasons = new ConcurrentQueue<string>();
        client.Cluster.MetadataStale += reasons.Enqueue;

        await client.UpdateClusterAsync(Timeout());
        await client.Topics["fine"].LatestAvailableOffsetsAsync(Timeout());

        Assert.That(reasons, Is.Empty);
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
    public async Task Instrumentation_sees_requests_by_api_and_every_opened_connection_closed()
    {
        await using var cluster = MockKafkaCluster.Start(2);
        cluster.CreateTopic("seen", partitions: 2, replicationFactor: 2);
        var instrumentation = new RecordingInstrumentation();
        var client = new KafkaClient(new KafkaClientOptions { Hosts = cluster.BootstrapServers }, NullLoggerFactory.Instance, null, null, instrumentation);

        await client.UpdateClusterAsync(Timeout());
        await client.Topics["seen"].LatestAvailableOffsetsAsync(Timeout());
        Assert.That(instrumentation.Opened, Is.GreaterThanOrEqualTo(1));
        Assert.That(instrumentation.Requests.Select(r => r.Api), Does.Contain(ApiKey.Metadata).And.Contain(ApiKey.ApiVersions).And.Contain(ApiKey.ListOffsets));
        Assert.That(instrumentation.Requests.Where(r => r.Api == ApiKey.Metadata).Select(r => r.Error), Is.All.Null);

        await client.DisposeAsync();

        Assert.That(instrumentation.Closed, Is.EqualTo(instrumentation.Opened), "every connection reported open is reported closed");
    }

    [Test]
    public async Task A_failed_request_is_reported_with_its_error()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var instrumentation = new RecordingInstrumentation();
        await using var client = new KafkaClient(
            new KafkaClientOptions { Hosts = cluster.BootstrapServers, SocketTimeout = TimeSpan.FromMilliseconds(300) },
            NullLoggerFactory.Instance, null, null, instrumentation);
        await client.UpdateClusterAsync(Timeout());

        cluster.SetBrokerRtt(1, TimeSpan.FromSeconds(2));
        Assert.ThrowsAsync<NoBrokersAvailableException>(() => client.UpdateClusterAsync(Timeout()));

        Assert.That(instrumentation.Requests.Where(r => r.Api == ApiKey.Metadata).Select(r => r.Error),
            Has.Some.InstanceOf<KafkaTimeoutException>());
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

    private sealed class RecordingInstrumentation : IClientInstrumentation
    {
        private int _opened;
        private int _closed;

        public ConcurrentQueue<(ApiKey Api, Exception? Error)> Requests { get; } = new();

        public int Opened => Volatile.Read(ref _opened);

        public int Closed => Volatile.Read(ref _closed);

        public Activity? RequestStarting(ApiKey apiKey, short version, int brokerId, HostAddress address) => null;

        public void RequestCompleted(Activity? activity, ApiKey apiKey, TimeSpan duration, Exception? error) => Requests.Enqueue((apiKey, error));

        public void ConnectionOpened(string kind) => Interlocked.Increment(ref _opened);

        public void ConnectionClosed(string kind) => Interlocked.Increment(ref _closed);
    }
}
