using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Kafka.Client.Internal;
using Kafka.Client.Tests.Fixtures;
using Kafka.Testing;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests;

/// <summary>Connections: timeouts, version negotiation, hostile responses, source address.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ConnectionTests
{
    [Test]
    public async Task A_round_trip_slower_than_the_socket_timeout_fails_near_the_timeout_then_recovers()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var timeout = TimeSpan.FromMilliseconds(600);
        await using var client = NewClient(cluster, o => o.SocketTimeout = timeout);
        await client.UpdateClusterAsync(Timeout());

        cluster.SetBrokerRtt(1, TimeSpan.FromSeconds(5));
        var watch = Stopwatch.StartNew();
        var error = Assert.ThrowsAsync<NoBrokersAvailableException>(() => client.UpdateClusterAsync(Timeout()));
        watch.Stop();

        Assert.That(error!.Attempts.Single().Value, Is.InstanceOf<KafkaTimeoutException>());
        Assert.That(((KafkaException)error.Attempts.Single().Value).IsRetriable, Is.True);
        Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(timeout - TimeSpan.FromMilliseconds(50)));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)), "it must not wait for the slow answer");

        cluster.SetBrokerRtt(1, TimeSpan.Zero);
        await client.UpdateClusterAsync(Timeout());
        Assert.That(client.Brokers[1].IsConnected, Is.True);
    }

    /// <summary>A one-broker cluster that records each request's API version (through a proxy in front of the broker).</summary>
    private static MockKafkaCluster RecordedCluster()
    {
        var cluster = MockKafkaCluster.Start(1, recordApiVersions: true);
        cluster.StartRequestTracking();
        return cluster;
    }

    private static IEnumerable<short> Versions(MockKafkaCluster cluster, short apiKey) =>
        cluster.GetRequests().Where(r => r.ApiKey == apiKey).Select(r => r.ApiVersion!.Value);

    [Test]
    public async Task A_broker_limited_to_older_versions_is_spoken_to_in_those_versions()
    {
        await using var cluster = RecordedCluster();
        cluster.CreateTopic("old", partitions: 1);
        cluster.SetApiVersion(3, 0, 4);  // Metadata up to v4
        cluster.SetApiVersion(2, 0, 2);  // ListOffsets up to v2
        await using var client = NewClient(cluster);

        await client.UpdateClusterAsync(Timeout());
        await client.Topics["old"].Partitions[0].LatestAvailableOffsetAsync(Timeout());

        Assert.That(Versions(cluster, 3), Is.Not.Empty.And.All.EqualTo(4));
        Assert.That(Versions(cluster, 2), Is.Not.Empty.And.All.EqualTo(2));
    }

    [Test]
    public async Task The_newest_versions_both_sides_speak_are_used_by_default()
    {
        await using var cluster = RecordedCluster();
        cluster.CreateTopic("new", partitions: 1);
        await using var client = NewClient(cluster);

        await client.UpdateClusterAsync(Timeout());
        await client.Topics["new"].Partitions[0].EarliestAvailableOffsetAsync(Timeout());

        Assert.That(Versions(cluster, 18).First(), Is.EqualTo(3), "ApiVersions asked at v3 first");
        Assert.That(Versions(cluster, 3), Is.Not.Empty.And.All.EqualTo(12), "Metadata v12");
        Assert.That(Versions(cluster, 2), Is.Not.Empty.And.All.EqualTo(7), "ListOffsets v7");
    }

    [Test]
    public async Task A_broker_that_answers_ApiVersions_v3_with_an_error_and_no_list_is_asked_again_at_v0()
    {
        // librdkafka 2.16's mock speaks ApiVersions 0-2 and answers v3 with UNSUPPORTED_VERSION and an empty list.
        await using var cluster = RecordedCluster();
        await using var client = NewClient(cluster);

        await client.UpdateClusterAsync(Timeout());

        Assert.That(Versions(cluster, 18).Take(2), Is.EqualTo(new short[] { 3, 0 }));
        Assert.That(client.Brokers, Has.Count.EqualTo(1));
        Assert.That(Versions(cluster, 3), Is.Not.Empty.And.All.EqualTo(12), "the v0 answer's table is used as it is");
    }

    [Test]
    public async Task A_broker_that_lists_its_ApiVersions_range_in_the_error_is_asked_again_at_its_highest()
    {
        var asked = new List<short>();
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            while (await c.ReadRequestAsync(ct) is { } request)
            {
                lock (asked)
                {
                    asked.Add(request.Version);
                }
                if (request.ApiKey != 18)
                {
                    return;
                }
                if (request.Version == 3)
                {
                    // UNSUPPORTED_VERSION with a v0 body: ApiVersions 0-2, Metadata 0-9.
                    byte[] body = [0, 35, 0, 0, 0, 2, 0, 18, 0, 0, 0, 2, 0, 3, 0, 0, 0, 9];
                    await c.RespondAsync(request.CorrelationId, body, ct);
                }
                else
                {
                    await c.RespondApiVersionsAsync(request, ct);
                }
            }
        });
        await using var client = NewClient(broker.Address);

        Assert.ThrowsAsync<NoBrokersAvailableException>(() => client.UpdateClusterAsync(Timeout()));

        Assert.That(asked.Take(2), Is.EqualTo(new short[] { 3, 2 }));
    }

    [Test]
    public async Task An_explicit_broker_version_caps_the_versions_used()
    {
        await using var cluster = RecordedCluster();
        await using var client = NewClient(cluster, o => o.BrokerVersion = "1.0.0");

        await client.UpdateClusterAsync(Timeout());

        // Kafka 1.0 spoke Metadata up to v5.
        Assert.That(Versions(cluster, 3), Is.Not.Empty.And.All.EqualTo(5));
    }

    [Test]
    public async Task A_broker_version_that_cannot_be_asked_uses_its_release_table()
    {
        await using var cluster = RecordedCluster();
        await using var client = NewClient(cluster, o => o.BrokerVersion = "0.9.0");

        await client.UpdateClusterAsync(Timeout());

        Assert.That(Versions(cluster, 18), Is.Empty, "0.9 brokers cannot be asked for their versions");
        Assert.That(Versions(cluster, 3), Is.Not.Empty.And.All.EqualTo(0));
        Assert.That(client.Brokers, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task An_api_below_the_client_floor_gives_a_clear_version_error()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        cluster.CreateTopic("floor", partitions: 1);
        await using var client = NewClient(cluster, o => o.BrokerVersion = "0.9.0");
        await client.UpdateClusterAsync(Timeout());

        // ListOffsets v1 (the client's floor) arrived with Kafka 0.10.1.
        var error = Assert.ThrowsAsync<KafkaVersionException>(() => client.Topics["floor"].Partitions[0].LatestAvailableOffsetAsync(Timeout()));

        Assert.That(error!.Message, Does.Contain("ListOffsets"));
        Assert.That(error.IsRetriable, Is.False);
    }

    [Test]
    public async Task Connections_bind_the_source_address()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        await using var proxy = new TcpProxy("127.0.0.1", cluster.GetBrokerPort(1));
        cluster.SetBrokerHostPort(1, "127.0.0.1", proxy.Port);
        await using var client = NewClient(proxy.Address, o => o.SourceAddress = "127.0.0.2");

        await client.UpdateClusterAsync(Timeout());

        Assert.That(proxy.AcceptedFrom, Is.Not.Empty);
        Assert.That(proxy.AcceptedFrom.Select(e => e.Address), Is.All.EqualTo(IPAddress.Parse("127.0.0.2")));
    }

    [Test]
    [NonParallelizable] // counts the whole process's allocations
    public async Task A_response_larger_than_the_maximum_is_a_protocol_error_without_allocating_it()
    {
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            var request = await c.ReadRequestAsync(ct);
            var frame = new byte[8];
            BinaryPrimitives.WriteInt32BigEndian(frame, int.MaxValue - 8);
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), request!.CorrelationId);
            await c.WriteAsync(frame, ct);
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);
        });
        await using var client = NewClient(broker.Address);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var error = await UpdateFailsAsync(client, TimeSpan.FromSeconds(4));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.That(FindInChain<KafkaProtocolException>(error), Is.Not.Null, error.ToString());
        Assert.That(allocated, Is.LessThan(32L * 1024 * 1024));
    }

    [Test]
    [NonParallelizable] // counts the whole process's allocations
    public async Task A_truncated_frame_is_a_protocol_error_and_allocates_only_what_arrived()
    {
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            var request = await c.ReadRequestAsync(ct);
            var frame = new byte[64];
            BinaryPrimitives.WriteInt32BigEndian(frame, 80 * 1024 * 1024); // 80 MiB claimed, 60 bytes sent
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), request!.CorrelationId);
            await c.WriteAsync(frame, ct);
            c.Client.Close();
        });
        await using var client = NewClient(broker.Address);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var error = await UpdateFailsAsync(client, TimeSpan.FromSeconds(4));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        var protocol = FindInChain<KafkaProtocolException>(error);
        Assert.That(protocol, Is.Not.Null, error.ToString());
        Assert.That(protocol!.Message, Does.Contain("truncated"));
        Assert.That(allocated, Is.LessThan(32L * 1024 * 1024), "80 MiB were claimed; only what arrived may be allocated");
    }

    [Test]
    public async Task A_negative_size_is_a_protocol_error()
    {
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            await c.ReadRequestAsync(ct);
            await c.WriteAsync([0xFF, 0xFF, 0xFF, 0xF0, 1, 2, 3, 4], ct);
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);
        });
        await using var client = NewClient(broker.Address);

        var error = await UpdateFailsAsync(client, TimeSpan.FromSeconds(4));

        Assert.That(FindInChain<KafkaProtocolException>(error)?.Message, Does.Contain("-16"));
    }

    [Test]
    public async Task A_wrong_correlation_id_is_a_protocol_error()
    {
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            var request = await c.ReadRequestAsync(ct);
            await c.RespondAsync(request!.CorrelationId + 7, new byte[16], ct);
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);
        });
        await using var client = NewClient(broker.Address);

        var error = await UpdateFailsAsync(client, TimeSpan.FromSeconds(4));

        Assert.That(FindInChain<KafkaProtocolException>(error)?.Message, Does.Contain("correlation id"));
    }

    [Test]
    public async Task Garbage_in_a_response_body_is_a_protocol_error_and_closes_the_connection()
    {
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            var versions = await c.ReadRequestAsync(ct);
            await c.RespondApiVersionsAsync(versions!, ct);
            while (await c.ReadRequestAsync(ct) is { } request)
            {
                // A Metadata answer whose broker array claims a billion entries in a 12-byte body.
                await c.RespondAsync(request.CorrelationId, [0, 0, 0, 0, 0xBF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1], ct);
            }
        });
        await using var client = NewClient(broker.Address);

        var error = await UpdateFailsAsync(client, TimeSpan.FromSeconds(4));

        Assert.That(FindInChain<KafkaProtocolException>(error), Is.Not.Null, error.ToString());
    }

    [Test]
    public async Task Requests_in_flight_on_a_connection_that_closes_fail_as_retriable_connection_errors()
    {
        var gate = new TaskCompletionSource();
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            var versions = await c.ReadRequestAsync(ct);
            await c.RespondApiVersionsAsync(versions!, ct);
            for (var i = 0; i < 3; i++)
            {
                await c.ReadRequestAsync(ct); // read three pipelined requests, answer none
            }
            await gate.Task.WaitAsync(ct);
            c.Client.Close();
        });
        var settings = ConnectionSettings.From(new KafkaClientOptions(), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, resilience: null);
        await using var connection = await BrokerConnection.ConnectAsync(new HostAddress("127.0.0.1", broker.Port), 1, "general", settings, Timeout());

        var inFlight = Enumerable.Range(0, 3)
            .Select(_ => connection.SendAsync(new Kafka.Client.Protocol.MetadataRequest(), TimeSpan.FromSeconds(10), CancellationToken.None))
            .ToList();
        await WaitUntilAsync(() => Task.FromResult(connection.InFlightCount == 3), "three requests in flight");
        gate.SetResult();

        foreach (var request in inFlight)
        {
            var error = Assert.ThrowsAsync<KafkaConnectionException>(() => request);
            Assert.That(error!.IsRetriable, Is.True);
        }
        Assert.That(connection.IsAlive, Is.False);
    }

    /// <summary>
    /// One timer per connection watches every request's deadline (on the client's TimeProvider): the request whose
    /// timeout passes fails with the timeout, closing the connection, and the others in flight fail as retriable
    /// connection errors; nothing fails before its own deadline.
    /// </summary>
    [Test]
    public async Task Each_request_times_out_at_its_own_deadline_on_the_clients_clock()
    {
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            var versions = await c.ReadRequestAsync(ct);
            await c.RespondApiVersionsAsync(versions!, ct);
            while (await c.ReadRequestAsync(ct) is not null)
            {
                // read, never answer
            }
        });
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var settings = ConnectionSettings.From(new KafkaClientOptions(), time,
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, resilience: null);
        await using var connection = await BrokerConnection.ConnectAsync(new HostAddress("127.0.0.1", broker.Port), 1, "general", settings, Timeout());

        var patient = connection.SendAsync(new Kafka.Client.Protocol.MetadataRequest(), TimeSpan.FromSeconds(10), CancellationToken.None);
        var hasty = connection.SendAsync(new Kafka.Client.Protocol.MetadataRequest(), TimeSpan.FromSeconds(1), CancellationToken.None);
        await WaitUntilAsync(() => Task.FromResult(connection.InFlightCount == 2), "two requests in flight");

        time.Advance(TimeSpan.FromMilliseconds(900));
        Assert.That((patient.IsCompleted, hasty.IsCompleted, connection.IsAlive), Is.EqualTo((false, false, true)), "before any deadline");

        time.Advance(TimeSpan.FromMilliseconds(200));
        var timedOut = Assert.ThrowsAsync<KafkaTimeoutException>(() => hasty);
        Assert.That(timedOut!.Message, Does.Contain("did not answer a Metadata").And.Contain("within 1000 ms"));
        var behind = Assert.ThrowsAsync<KafkaConnectionException>(() => patient);
        Assert.That(behind!.IsRetriable, Is.True);
        Assert.That(connection.IsAlive, Is.False);
    }

    /// <summary>
    /// Cancelling a call stops only that wait: the connection stays, the answer that comes later is dropped (its
    /// buffer returned), and the next requests, reusing the connection's pooled entries, get their own answers.
    /// </summary>
    [Test]
    public async Task A_cancelled_wait_leaves_the_connection_and_its_late_answer_is_dropped()
    {
        const int rounds = 3;
        var gates = Enumerable.Range(0, rounds).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            var versions = await c.ReadRequestAsync(ct);
            await c.RespondApiVersionsAsync(versions!, ct);
            for (var round = 0; round < rounds; round++)
            {
                var abandoned = await c.ReadRequestAsync(ct);
                await gates[round].Task.WaitAsync(ct);
                await c.RespondApiVersionsAsync(abandoned!, ct); // late: its caller stopped waiting
                var next = await c.ReadRequestAsync(ct);
                await c.RespondApiVersionsAsync(next!, ct);
            }
        });
        var settings = ConnectionSettings.From(new KafkaClientOptions(), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, resilience: null);
        await using var connection = await BrokerConnection.ConnectAsync(new HostAddress("127.0.0.1", broker.Port), 1, "general", settings, Timeout());

        for (var round = 0; round < rounds; round++)
        {
            using var cancel = new CancellationTokenSource();
            var waiting = connection.SendAsync(new Kafka.Client.Protocol.ApiVersionsRequest(), 0, TimeSpan.FromSeconds(30), cancel.Token);
            await WaitUntilAsync(() => Task.FromResult(connection.InFlightCount == 1), "the request in flight");
            await cancel.CancelAsync();
            Assert.CatchAsync<OperationCanceledException>(() => waiting);
            Assert.That(connection.IsAlive, Is.True);

            gates[round].SetResult();
            var answer = await connection.SendAsync(new Kafka.Client.Protocol.ApiVersionsRequest(), 0, TimeSpan.FromSeconds(30), Timeout());
            Assert.That(answer.ErrorCode, Is.EqualTo(KafkaErrorCode.None));
            Assert.That((connection.IsAlive, connection.InFlightCount), Is.EqualTo((true, 0)));
        }
    }

    // A Metadata answer can advertise any int32 port and any string host: one no socket can reach is a connection
    // error naming the address, like any broker that cannot be reached, not an ArgumentOutOfRangeException.
    [TestCase("127.0.0.1", 70000)]
    [TestCase("127.0.0.1", -1)]
    [TestCase("127.0.0.1", 0)]
    [TestCase("", 9092)]
    [TestCase("a-host-name-longer-than-dns-allows", 9092)]
    public void A_broker_address_no_socket_can_reach_is_a_connection_error(string host, int port)
    {
        if (host.StartsWith("a-host", StringComparison.Ordinal))
        {
            host = string.Concat(Enumerable.Repeat("a", 300));
        }
        var settings = ConnectionSettings.From(new KafkaClientOptions(), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, resilience: null);

        var error = Assert.ThrowsAsync<KafkaConnectionException>(() =>
            BrokerConnection.ConnectAsync(new HostAddress(host, port), 3, "general", settings, Timeout()));

        Assert.That(error!.Message, Does.Contain("broker 3").And.Contain("not a valid broker address"));
        Assert.That(error.IsRetriable, Is.True);
    }

    [Test]
    public async Task A_silent_broker_times_out_instead_of_hanging()
    {
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            await c.ReadRequestAsync(ct);
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);
        });
        await using var client = NewClient(broker.Address, o => o.ConnectTimeout = TimeSpan.FromMilliseconds(500));

        var error = await UpdateFailsAsync(client, TimeSpan.FromSeconds(4));

        Assert.That(FindInChain<KafkaTimeoutException>(error), Is.Not.Null, error.ToString());
    }

    private static async Task<NoBrokersAvailableException> UpdateFailsAsync(KafkaClient client, TimeSpan within)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            await client.UpdateClusterAsync(Timeout(within + TimeSpan.FromSeconds(10)));
        }
        catch (NoBrokersAvailableException ex)
        {
            Assert.That(watch.Elapsed, Is.LessThan(within), "the failure must come promptly, not after a hang");
            return ex;
        }
        Assert.Fail("The update should have failed.");
        return null!;
    }

    private static T? FindInChain<T>(Exception? error) where T : Exception
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is T match)
            {
                return match;
            }
        }
        return null;
    }
}
