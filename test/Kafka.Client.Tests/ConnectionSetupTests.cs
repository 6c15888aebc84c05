using Kafka.Client.Internal;
using Kafka.Client.Tests.Fixtures;
using Kafka.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests;

/// <summary>Connection setup: one budget for every step, and a broker's ApiVersions answer remembered across its connections.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ConnectionSetupTests
{
    /// <summary>
    /// The ApiVersions fall-back (v3 refused, asked again at v0) is two round trips: they share the one connect
    /// budget with TCP, so a broker slow to answer both fails the attempt at ConnectTimeout, not at twice it.
    /// </summary>
    [Test]
    public async Task Every_setup_exchange_shares_one_connect_budget()
    {
        var asked = new List<short>();
        var refuse = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            while (await c.ReadRequestAsync(ct) is { } request)
            {
                lock (asked)
                {
                    asked.Add(request.Version);
                }
                if (request.Version == 3)
                {
                    await refuse.Task.WaitAsync(ct);
                    await c.RespondAsync(request.CorrelationId, [0, 35, 0, 0, 0, 0], ct); // UNSUPPORTED_VERSION, no list
                }
                // v0: never answered
            }
        });
        var time = new FakeTimeProvider();
        var settings = ConnectionSettings.From(new KafkaClientOptions { ConnectTimeout = TimeSpan.FromSeconds(10) }, time,
            NullLoggerFactory.Instance, resilience: null);

        var connecting = BrokerConnection.ConnectAsync(new HostAddress("127.0.0.1", broker.Port), 1, "general", settings, Timeout());
        await WaitUntilAsync(() => Count(asked) == 1, "ApiVersions v3 asked");
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.That(connecting.IsCompleted, Is.False, "6 s of 10");

        refuse.SetResult();
        await WaitUntilAsync(() => Count(asked) == 2, "ApiVersions asked again at v0");
        time.Advance(TimeSpan.FromSeconds(3.9));
        Assert.That(connecting.IsCompleted, Is.False, "9.9 s of 10");

        time.Advance(TimeSpan.FromSeconds(0.2));
        var error = Assert.ThrowsAsync<KafkaTimeoutException>(() => connecting);
        Assert.That(error!.Message, Does.Contain("within the connect timeout of 10000 ms").And.Contain("ApiVersions"));
        Assert.That(error.IsRetriable, Is.True);
        Assert.That(asked, Is.EqualTo(new short[] { 3, 0 }));
    }

    [Test]
    public async Task The_callers_cancellation_ends_the_setup_early_as_a_cancellation()
    {
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            while (await c.ReadRequestAsync(ct) is not null)
            {
                // never answered
            }
        });
        var settings = ConnectionSettings.From(new KafkaClientOptions(), new FakeTimeProvider(), NullLoggerFactory.Instance, resilience: null);
        using var cancel = new CancellationTokenSource();

        var connecting = BrokerConnection.ConnectAsync(new HostAddress("127.0.0.1", broker.Port), 1, "general", settings, cancel.Token);
        await WaitUntilAsync(() => broker.Connections == 1, "connected");
        await cancel.CancelAsync();

        Assert.CatchAsync<OperationCanceledException>(() => connecting);
    }

    /// <summary>
    /// librdkafka's mock speaks ApiVersions 0–2 and refuses v3: the first connection pays the fall-back, the
    /// broker's further connections (other traffic classes) use the answer while that connection is open, and a
    /// reconnect after every connection closed asks once, at the version the broker accepted.
    /// </summary>
    [Test]
    public async Task A_brokers_ApiVersions_answer_is_remembered_across_its_connections()
    {
        await using var cluster = MockKafkaCluster.Start(1, recordApiVersions: true);
        cluster.StartRequestTracking();
        await using var client = NewClient(cluster);

        await client.UpdateClusterAsync(Timeout());
        var broker = client.Brokers[1];
        await broker.GetConnectionAsync(ConnectionKind.General, Timeout());
        Assert.That(ApiVersionsAsked(cluster), Is.EqualTo(new short[] { 3, 0, 0 }),
            "the seed falls back once; broker 1, found at the seed's address, asks at v0 straight away");

        cluster.ClearRequests();
        await broker.GetConnectionAsync(ConnectionKind.Produce, Timeout());
        await broker.GetConnectionAsync(ConnectionKind.Fetch, Timeout());
        Assert.That(ApiVersionsAsked(cluster), Is.Empty, "other traffic classes use the live connection's answer");

        broker.CloseConnections();
        cluster.ClearRequests();
        await client.UpdateClusterAsync(Timeout());
        var produce = await broker.GetConnectionAsync(ConnectionKind.Produce, Timeout());
        Assert.That(ApiVersionsAsked(cluster), Is.EqualTo(new short[] { 0 }), "a reconnect asks once, at v0");
        Assert.That(produce.Versions.Negotiate(Kafka.Client.Protocol.KnownApis.Metadata), Is.EqualTo(12));
    }

    private static List<short> ApiVersionsAsked(MockKafkaCluster cluster) =>
        [.. cluster.GetRequests().Where(r => r.ApiKey == 18).Select(r => r.ApiVersion!.Value)];

    private static int Count(List<short> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }
}
