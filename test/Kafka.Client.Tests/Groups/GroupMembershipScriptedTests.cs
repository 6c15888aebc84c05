using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Kafka.Client.Internal.Groups;
using Kafka.Client.Protocol;
using Kafka.Client.Tests.Fixtures;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Groups;

/// <summary>
/// Membership against a scripted coordinator, for answers the mock brokers cannot give: a member id handed out with
/// MEMBER_ID_REQUIRED, fencing of a static member, errors that never clear; and for what the member sends.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class GroupMembershipScriptedTests
{
    private static readonly byte[] TwoPartitions =
        ConsumerProtocol.WriteAssignment(new ConsumerProtocolAssignment([new("orders", 1), new("orders", 3)]));

    [Test]
    public async Task MEMBER_ID_REQUIRED_is_answered_by_joining_again_with_the_given_id()
    {
        await using var coordinator = new FakeCoordinator(request => request.ApiKey switch
        {
            11 when request.JoinMemberId.Length == 0 => JoinResponse(KafkaErrorCode.MemberIdRequired, -1, memberId: "member-7"),
            11 => JoinResponse(KafkaErrorCode.None, 4, memberId: request.JoinMemberId),
            14 => SyncResponse(KafkaErrorCode.None, TwoPartitions),
            _ => ErrorOnly(KafkaErrorCode.None),
        });
        await using var client = NewClient(coordinator.Address);
        await using var membership = coordinator.Member(client, Options());
        await membership.StartAsync();

        var generation = await membership.WaitForGenerationAsync(-1, Timeout());

        Assert.That((generation.GenerationId, generation.MemberId, generation.ProtocolName, generation.LeaderId, generation.IsLeader),
            Is.EqualTo((4, "member-7", "range", "someone-else", false)));
        Assert.That(generation.Assignment, Is.EqualTo(new TopicAndPartition[] { new("orders", 1), new("orders", 3) }));
        Assert.That((membership.Generation, membership.MemberId, membership.Coordinator), Is.EqualTo((4, "member-7", client.Cluster.Seeds[0])));
        Assert.That(coordinator.Requests.Where(r => r.ApiKey == 11).Select(r => r.JoinMemberId), Is.EqualTo(new[] { "", "member-7" }));
        var sync = coordinator.Requests.Single(r => r.ApiKey == 14);
        Assert.That((sync.Version, sync.SyncGenerationAndMember), Is.EqualTo(((short)3, (4, "member-7"))));

        await membership.StopAsync();
        var leave = coordinator.Requests.Single(r => r.ApiKey == 13);
        Assert.That((leave.Version, leave.LeaveMemberId), Is.EqualTo(((short)2, "member-7")));
    }

    [Test]
    public async Task A_fenced_static_member_fails_loses_its_partitions_and_does_not_leave()
    {
        var heartbeats = 0;
        await using var coordinator = new FakeCoordinator(request => request.ApiKey switch
        {
            11 => JoinResponse(KafkaErrorCode.None, 1, memberId: "static-1"),
            14 => SyncResponse(KafkaErrorCode.None, TwoPartitions),
            12 => ErrorOnly(Interlocked.Increment(ref heartbeats) < 3 ? KafkaErrorCode.None : KafkaErrorCode.FencedInstanceId),
            _ => ErrorOnly(KafkaErrorCode.None),
        });
        await using var client = NewClient(coordinator.Address);
        var revoked = new ConcurrentQueue<bool>();
        var failures = new ConcurrentQueue<KafkaException>();
        var stoppedFromHandler = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        GroupMembership membership = null!;
        membership = coordinator.Member(client, Options() with { GroupInstanceId = "instance-1" }, new GroupMembershipCallbacks
        {
            PartitionsRevoked = (_, lost, _) =>
            {
                revoked.Enqueue(lost);
                return Task.CompletedTask;
            },
            Failed = async (error, cancellationToken) =>
            {
                failures.Enqueue(error);
                await membership.StopAsync(cancellationToken); // allowed here: the failure handler runs apart from the loop
                stoppedFromHandler.SetResult();
            },
        });
        await using var disposal = membership;
        await membership.StartAsync();

        await stoppedFromHandler.Task.WaitAsync(Deadline);

        Assert.That(membership.Failure, Is.TypeOf<KafkaBrokerException>().With.Property(nameof(KafkaBrokerException.ErrorCode)).EqualTo(KafkaErrorCode.FencedInstanceId));
        Assert.That(revoked, Is.EqualTo(new[] { true }), "the partitions were lost, not handed over");
        Assert.That(failures, Has.Count.EqualTo(1));
        Assert.That(membership.Assignment, Is.Empty);
        Assert.That(coordinator.Requests.Where(r => r.ApiKey is 11 or 12).Select(r => r.InstanceId), Is.All.EqualTo("instance-1"));

        await membership.StopAsync();
        Assert.That(membership.State, Is.EqualTo(GroupMembershipState.Failed));
        Assert.That(coordinator.Requests.Any(r => r.ApiKey == 13), Is.False, "a static member does not leave");
    }

    [Test]
    public async Task A_fatal_join_error_fails_at_once()
    {
        await using var coordinator = new FakeCoordinator(request => request.ApiKey == 11
            ? JoinResponse(KafkaErrorCode.GroupAuthorizationFailed, -1, memberId: "")
            : ErrorOnly(KafkaErrorCode.None));
        await using var client = NewClient(coordinator.Address);
        await using var membership = coordinator.Member(client, Options());
        await membership.StartAsync();

        var error = Assert.ThrowsAsync<KafkaBrokerException>(() => membership.WaitForGenerationAsync(-1, Timeout()));

        Assert.That(error!.ErrorCode, Is.EqualTo(KafkaErrorCode.GroupAuthorizationFailed));
        Assert.That(coordinator.Requests.Count(r => r.ApiKey == 11), Is.EqualTo(1));
    }

    [Test]
    public async Task An_unexpected_sync_error_is_retried_then_the_member_gives_up()
    {
        await using var coordinator = new FakeCoordinator(request => request.ApiKey switch
        {
            11 => JoinResponse(KafkaErrorCode.None, 1, memberId: "m"),
            14 => SyncResponse(KafkaErrorCode.InvalidRequest, []),
            _ => ErrorOnly(KafkaErrorCode.None),
        });
        await using var client = NewClient(coordinator.Address);
        await using var membership = coordinator.Member(client, Options() with { RebalanceMaxRetries = 2, RebalanceBackoff = TimeSpan.FromMilliseconds(20) });
        await membership.StartAsync();

        await WaitUntilAsync(() => Task.FromResult(membership.State == GroupMembershipState.Failed), "the member gave up");

        Assert.That(coordinator.Requests.Count(r => r.ApiKey == 14), Is.EqualTo(3), "the first attempt and two retries");
        Assert.That(membership.Failure!.Message, Does.Contain("3 times"));
        Assert.That(membership.Failure.InnerException, Is.TypeOf<KafkaBrokerException>());
    }

    [Test]
    public async Task Heartbeats_continue_while_a_callback_runs_and_a_failing_callback_does_not_stop_the_member()
    {
        await using var coordinator = new FakeCoordinator(request => request.ApiKey switch
        {
            11 => JoinResponse(KafkaErrorCode.None, 1, memberId: "m"),
            14 => SyncResponse(KafkaErrorCode.None, TwoPartitions),
            _ => ErrorOnly(KafkaErrorCode.None),
        });
        await using var client = NewClient(coordinator.Address);
        await using var membership = coordinator.Member(client, Options(), new GroupMembershipCallbacks
        {
            PartitionsAssigned = async (_, cancellationToken) =>
            {
                // A slow handler (say, fetching committed offsets): the session must not expire meanwhile.
                await WaitUntilAsync(() => Task.FromResult(coordinator.Requests.Count(r => r.ApiKey == 12) >= 3), "heartbeats during the callback");
                throw new InvalidOperationException("the handler failed");
            },
        });
        await membership.StartAsync();

        await WaitUntilAsync(() => Task.FromResult(coordinator.Requests.Count(r => r.ApiKey == 12) >= 6), "heartbeats after the callback failed");

        Assert.That(membership.State, Is.EqualTo(GroupMembershipState.Stable));
        Assert.That(membership.Assignment, Has.Count.EqualTo(2));
        Assert.That(coordinator.Requests.Count(r => r.ApiKey == 11), Is.EqualTo(1), "no rejoin");
    }

    [Test]
    public async Task A_session_without_acknowledged_heartbeats_expires_locally_and_the_partitions_are_lost()
    {
        // The coordinator keeps answering COORDINATOR_LOAD_IN_PROGRESS: no heartbeat counts, so after the session
        // timeout the member must assume the group went on without it.
        await using var coordinator = new FakeCoordinator(request => request.ApiKey switch
        {
            11 => JoinResponse(KafkaErrorCode.None, 1, memberId: "m"),
            14 => SyncResponse(KafkaErrorCode.None, TwoPartitions),
            12 => ErrorOnly(KafkaErrorCode.CoordinatorLoadInProgress),
            _ => ErrorOnly(KafkaErrorCode.None),
        });
        await using var client = NewClient(coordinator.Address);
        var revoked = new ConcurrentQueue<(int Generation, bool Lost, TimeSpan At)>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var membership = coordinator.Member(client, Options(), new GroupMembershipCallbacks
        {
            PartitionsRevoked = (generation, lost, _) =>
            {
                revoked.Enqueue((generation.GenerationId, lost, started.Elapsed));
                return Task.CompletedTask;
            },
        });
        await membership.StartAsync();

        await WaitUntilAsync(() => Task.FromResult(!revoked.IsEmpty && coordinator.Requests.Count(r => r.ApiKey == 11) >= 2), "the loss and a rejoin");

        var (generation, lost, at) = revoked.First();
        Assert.That((generation, lost), Is.EqualTo((1, true)));
        Assert.That(at, Is.GreaterThanOrEqualTo(Options().SessionTimeout), "not before the session timeout");
        Assert.That(coordinator.Requests.Where(r => r.ApiKey == 11).Select(r => r.JoinMemberId).Take(2), Is.EqualTo(new[] { "", "m" }),
            "it rejoins with its member id: the coordinator may still know it");
    }

    [Test]
    public async Task Stopping_from_inside_an_assignment_callback_is_refused()
    {
        await using var coordinator = new FakeCoordinator(request => request.ApiKey switch
        {
            11 => JoinResponse(KafkaErrorCode.None, 1, memberId: "m"),
            14 => SyncResponse(KafkaErrorCode.None, TwoPartitions),
            _ => ErrorOnly(KafkaErrorCode.None),
        });
        await using var client = NewClient(coordinator.Address);
        var refused = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        GroupMembership membership = null!;
        membership = coordinator.Member(client, Options(), new GroupMembershipCallbacks
        {
            PartitionsAssigned = (generation, cancellationToken) =>
            {
                try
                {
                    _ = membership.StopAsync(cancellationToken); // it would wait for this very callback
                    refused.SetResult(null);
                }
                catch (InvalidOperationException ex)
                {
                    refused.SetResult(ex);
                }
                return Task.CompletedTask;
            },
        });
        await using var disposal = membership;
        await membership.StartAsync();

        Assert.That(await refused.Task.WaitAsync(Deadline), Is.TypeOf<InvalidOperationException>());
        await membership.StopAsync(); // from outside it works
        Assert.That(membership.State, Is.EqualTo(GroupMembershipState.Stopped));
    }

    [Test]
    public async Task Stopping_before_starting_sends_nothing_and_a_stopped_member_cannot_start()
    {
        await using var coordinator = new FakeCoordinator(_ => ErrorOnly(KafkaErrorCode.None));
        await using var client = NewClient(coordinator.Address);
        var membership = coordinator.Member(client, Options());

        await membership.StopAsync();
        await membership.DisposeAsync();

        Assert.That(membership.State, Is.EqualTo(GroupMembershipState.Stopped));
        Assert.That(coordinator.Requests, Is.Empty);
        Assert.Throws<InvalidOperationException>(() => membership.StartAsync());
        Assert.ThrowsAsync<KafkaException>(() => membership.WaitForGenerationAsync(-1, Timeout()));
    }

    [Test]
    public async Task Invalid_options_and_subscriptions_are_refused()
    {
        await using var client = NewClient("127.0.0.1:1");
        Task<Broker> Lookup(CancellationToken _) => throw new NotSupportedException();
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => new GroupMembership(client.Cluster, "g", [], Options(), Lookup));
            Assert.Throws<ArgumentException>(() => new GroupMembership(client.Cluster, "", ["t"], Options(), Lookup));
            Assert.Throws<ArgumentException>(() => new GroupMembership(client.Cluster, "g", ["t"], Options() with { HeartbeatInterval = TimeSpan.FromSeconds(10) }, Lookup));
            Assert.Throws<ArgumentException>(() => new GroupMembership(client.Cluster, "g", ["t"], Options() with { Assignors = [] }, Lookup));
            Assert.Throws<ArgumentException>(() => new GroupMembership(client.Cluster, "g", ["t"], Options() with { Assignors = [new RangeAssignor(), new RangeAssignor()] }, Lookup));
            Assert.Throws<ArgumentException>(() => new GroupMembership(client.Cluster, "g", ["t"], Options() with { GroupInstanceId = "" }, Lookup));
            Assert.Throws<ArgumentException>(() => new GroupMembership(client.Cluster, "g", ["t"], Options() with { SessionTimeout = TimeSpan.Zero }, Lookup));
        });
        Assert.That(new GroupMembershipOptions().Validate(), Is.Empty, "the defaults are valid");
        Assert.That(new GroupMembershipOptions().SessionTimeout, Is.EqualTo(TimeSpan.FromSeconds(45)));
        Assert.That(new GroupMembershipOptions().HeartbeatInterval, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(new GroupMembershipOptions().Assignors.Select(a => a.Name), Is.EqualTo(new[] { "range", "roundrobin" }));
    }

    private static GroupMembershipOptions Options() => new()
    {
        SessionTimeout = TimeSpan.FromSeconds(3),
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        RebalanceTimeout = TimeSpan.FromSeconds(5),
        RebalanceBackoff = TimeSpan.FromMilliseconds(50),
    };

    // ---- scripted answers (the versions the scripted broker advertises: JoinGroup v5, SyncGroup v3, Heartbeat v3, LeaveGroup v2) ----

    private static byte[] JoinResponse(KafkaErrorCode error, int generation, string memberId)
    {
        using var w = new KafkaWriter();
        w.WriteInt32(0);
        w.WriteInt16((short)error);
        w.WriteInt32(generation);
        w.WriteString(error == KafkaErrorCode.None ? "range" : "", compact: false);
        w.WriteString(error == KafkaErrorCode.None ? "someone-else" : "", compact: false);
        w.WriteString(memberId, compact: false);
        w.WriteArrayLength(0, compact: false);
        return w.WrittenSpan.ToArray();
    }

    private static byte[] SyncResponse(KafkaErrorCode error, byte[] assignment)
    {
        using var w = new KafkaWriter();
        w.WriteInt32(0);
        w.WriteInt16((short)error);
        w.WriteBytes(assignment, compact: false);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>Heartbeat v3 and LeaveGroup v2 answers: throttle time and error code.</summary>
    private static byte[] ErrorOnly(KafkaErrorCode error)
    {
        var body = new byte[6];
        BinaryPrimitives.WriteInt16BigEndian(body.AsSpan(4), (short)error);
        return body;
    }

    /// <summary>A request the scripted coordinator received, with the fields the tests look at.</summary>
    private sealed record GroupRequest(short ApiKey, short Version, int CorrelationId, byte[] Body)
    {
        /// <summary>JoinGroup v5: group, session, rebalance, member id.</summary>
        public string JoinMemberId
        {
            get
            {
                var r = new KafkaReader(Body);
                r.ReadString(false);
                r.ReadInt32();
                r.ReadInt32();
                return r.ReadString(false);
            }
        }

        /// <summary>The group instance id of JoinGroup v5 or Heartbeat v3.</summary>
        public string? InstanceId
        {
            get
            {
                var r = new KafkaReader(Body);
                r.ReadString(false);
                r.ReadInt32();
                if (ApiKey == 11)
                {
                    r.ReadInt32();
                }
                r.ReadString(false);
                return r.ReadNullableString(false);
            }
        }

        /// <summary>SyncGroup v3: group, generation, member id.</summary>
        public (int Generation, string MemberId) SyncGenerationAndMember
        {
            get
            {
                var r = new KafkaReader(Body);
                r.ReadString(false);
                var generation = r.ReadInt32();
                return (generation, r.ReadString(false));
            }
        }

        /// <summary>LeaveGroup v2: group, member id.</summary>
        public string LeaveMemberId
        {
            get
            {
                var r = new KafkaReader(Body);
                r.ReadString(false);
                return r.ReadString(false);
            }
        }
    }

    /// <summary>A one-broker "cluster" that is the group's coordinator and answers group requests as scripted.</summary>
    private sealed class FakeCoordinator : IAsyncDisposable
    {
        // ApiVersions 0, JoinGroup 2-5, SyncGroup 0-3, Heartbeat 0-3, LeaveGroup 0-2 (v0 layout).
        private static readonly (short Key, short Min, short Max)[] Apis = [(18, 0, 0), (11, 2, 5), (14, 0, 3), (12, 0, 3), (13, 0, 2)];

        private readonly ScriptedBroker _broker;

        public FakeCoordinator(Func<GroupRequest, byte[]> respond)
        {
            _broker = new ScriptedBroker(async (connection, ct) =>
            {
                var stream = connection.Client.GetStream();
                while (await ReadAsync(stream, ct) is { } request)
                {
                    if (request.ApiKey != 18)
                    {
                        Requests.Enqueue(request);
                    }
                    var body = request.ApiKey == 18 ? ApiVersionsBody(request.Version) : respond(request);
                    await connection.RespondAsync(request.CorrelationId, body, ct);
                }
            });
        }

        public string Address => _broker.Address;

        public ConcurrentQueue<GroupRequest> Requests { get; } = new();

        /// <summary>A member of group "g" subscribed to "orders", whose coordinator lookup names this broker (the seed).</summary>
        public GroupMembership Member(KafkaClient client, GroupMembershipOptions options, GroupMembershipCallbacks? callbacks = null) =>
            new(client.Cluster, "g", ["orders"], options, _ => Task.FromResult(client.Cluster.Seeds[0]), callbacks);

        public ValueTask DisposeAsync() => _broker.DisposeAsync();

        // v3 is answered UNSUPPORTED_VERSION with the v0 list, so the client asks again at v0 and gets the same list.
        private static byte[] ApiVersionsBody(short version)
        {
            using var w = new KafkaWriter();
            w.WriteInt16(version == 0 ? (short)0 : (short)KafkaErrorCode.UnsupportedVersion);
            w.WriteArrayLength(Apis.Length, compact: false);
            foreach (var (key, min, max) in Apis)
            {
                w.WriteInt16(key);
                w.WriteInt16(min);
                w.WriteInt16(max);
            }
            return w.WrittenSpan.ToArray();
        }

        /// <summary>Reads a request frame: header v1 (v2 for flexible requests, which here is only ApiVersions v3), then the body.</summary>
        private static async Task<GroupRequest?> ReadAsync(NetworkStream stream, CancellationToken ct)
        {
            var size = new byte[4];
            if (!await FillAsync(stream, size, ct))
            {
                return null;
            }
            var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
            if (!await FillAsync(stream, frame, ct))
            {
                return null;
            }
            var apiKey = BinaryPrimitives.ReadInt16BigEndian(frame);
            var version = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2));
            var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
            var offset = 8 + Math.Max(0, (int)BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(8))) + 2;
            if (apiKey == 18 && version >= 3)
            {
                offset++; // the header's empty tagged fields
            }
            return new GroupRequest(apiKey, version, correlationId, frame[offset..]);
        }

        private static async Task<bool> FillAsync(NetworkStream stream, byte[] buffer, CancellationToken ct)
        {
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), ct);
                if (n == 0)
                {
                    return false;
                }
                read += n;
            }
            return true;
        }
    }
}
