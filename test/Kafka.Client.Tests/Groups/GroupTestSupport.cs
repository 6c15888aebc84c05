using System.Collections.Concurrent;
using Kafka.Client.Internal;
using Kafka.Client.Internal.Groups;
using Kafka.Client.Protocol;
using Kafka.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Kafka.Client.Tests.Groups;

/// <summary>
/// FindCoordinator v0 (group key), for tests only: the client's own FindCoordinator codec and lookup come with the
/// consumer. v0 has the group id in the request and error, node id, host and port in the response.
/// </summary>
internal sealed class TestFindCoordinatorRequest(string groupId) : KafkaRequest<(KafkaErrorCode Error, int NodeId)>
{
    private static readonly ApiInfo V0 = new(ApiKey.FindCoordinator, 0, 0, ApiInfo.NeverFlexible);

    public override ApiInfo Api => V0;

    public override void Write(KafkaWriter writer, short version) => writer.WriteString(groupId, compact: false);

    public override (KafkaErrorCode Error, int NodeId) ReadResponse(ref KafkaReader reader, short version)
    {
        var error = (KafkaErrorCode)reader.ReadInt16();
        var nodeId = reader.ReadInt32();
        reader.ReadNullableString(compact: false);
        reader.ReadInt32();
        return (error, nodeId);
    }
}

internal static class GroupTestSupport
{
    public static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(3);

    /// <summary>A mock cluster for group tests: groups form at once.</summary>
    public static MockKafkaCluster StartCluster(int brokers = 3, bool recordApiVersions = false)
    {
        var cluster = MockKafkaCluster.Start(brokers, recordApiVersions: recordApiVersions);
        cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
        // The mock advertises JoinGroup 0-6, SyncGroup 0-4, Heartbeat 0-5 and LeaveGroup 0-4, but reads and writes only the
        // classic (non-flexible) layouts and LeaveGroup's single-member one: a flexible JoinGroup or SyncGroup closes the
        // connection, and its LeaveGroup v3+ answer has no member list. Cap them at what it implements (librdkafka itself
        // sends JoinGroup v5, SyncGroup v3, Heartbeat v3 and LeaveGroup v1 at most); the codecs' other versions are
        // checked byte for byte in the protocol tests.
        cluster.SetApiVersion(11, 0, 5);
        cluster.SetApiVersion(14, 0, 3);
        cluster.SetApiVersion(12, 0, 3);
        cluster.SetApiVersion(13, 0, 2);
        // The mock answers a follower's SyncGroup that arrives after the leader's with INVALID_REQUEST (Kafka returns the
        // stored assignment), and it reads sockets in the order they were opened, so a fast leader often wins the race.
        // Answering Metadata a little late, as a remote broker would, lets the followers' syncs arrive first.
        var late = Enumerable.Repeat(((short)0, TimeSpan.FromMilliseconds(15)), 500).ToArray();
        foreach (var broker in cluster.BrokerIds)
        {
            cluster.PushBrokerRequestErrorRtts(broker, 3, late);
        }
        return cluster;
    }

    public static GroupMembershipOptions Options(string? instanceId = null, params IPartitionAssignor[] assignors) => new()
    {
        SessionTimeout = SessionTimeout,
        HeartbeatInterval = TimeSpan.FromMilliseconds(300),
        RebalanceTimeout = TimeSpan.FromSeconds(10),
        RebalanceBackoff = TimeSpan.FromMilliseconds(200),
        // The mock answers INVALID_REQUEST to a follower whose SyncGroup comes after the leader's (docs/testing.md);
        // on a loaded machine that can happen several rebalances in a row, so a member must not give up early.
        RebalanceMaxRetries = 20,
        GroupInstanceId = instanceId,
        Assignors = assignors.Length > 0 ? assignors : [new RangeAssignor(), new RoundRobinAssignor()],
    };

    /// <summary>Asks the brokers in turn (FindCoordinator v0) which one coordinates <paramref name="groupId"/>.</summary>
    public static Func<CancellationToken, Task<Broker>> CoordinatorLookup(KafkaClient client, string groupId) => async cancellationToken =>
    {
        if (client.Brokers.Count == 0)
        {
            await client.UpdateClusterAsync(cancellationToken);
        }
        Exception? last = null;
        foreach (var broker in client.Brokers.Values.OrderBy(_ => Random.Shared.Next()))
        {
            try
            {
                var (error, nodeId) = await broker.SendAsync(ConnectionKind.General, new TestFindCoordinatorRequest(groupId), cancellationToken);
                if (error != KafkaErrorCode.None)
                {
                    last = new KafkaBrokerException(error, $"FindCoordinator: {KafkaErrors.GetName(error)}");
                    continue;
                }
                if (!client.Brokers.TryGetValue(nodeId, out var coordinator))
                {
                    await client.UpdateClusterAsync(cancellationToken);
                    coordinator = client.Brokers[nodeId];
                }
                return coordinator;
            }
            catch (KafkaException ex)
            {
                last = ex;
            }
        }
        throw new KafkaException($"No broker named the coordinator of '{groupId}'.", isRetriable: true, last);
    };

    /// <summary>A client for group members, logging into <paramref name="logs"/>.</summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="logs">Where the client logs.</param>
    /// <param name="hosts">Where to bootstrap; the cluster's brokers by default.</param>
    /// <param name="sourceAddress">The local address to connect from; the system's choice by default.</param>
    public static KafkaClient NewGroupClient(MockKafkaCluster cluster, Support.CapturingLoggerFactory logs, string? hosts = null, string? sourceAddress = null) =>
        new(new KafkaClientOptions
        {
            Hosts = hosts ?? cluster.BootstrapServers,
            SourceAddress = sourceAddress,
            SocketTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(3),
            ReconnectBackoff = TimeSpan.FromMilliseconds(20),
            ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
        }, logs);

    /// <summary>Writes the membership, balanced consumer and connection log lines to the test output (for failures).</summary>
    public static void DumpLogs(Support.CapturingLoggerFactory logs)
    {
        foreach (var entry in logs.Entries.Where(e => e.Contains("GroupMembership", StringComparison.Ordinal) || e.Contains("BalancedConsumer", StringComparison.Ordinal) || e.Contains("Connection", StringComparison.Ordinal)))
        {
            // The message, without the structured values, then the exception if any.
            var values = entry.IndexOf(" | ", StringComparison.Ordinal);
            var exception = entry.IndexOf(Environment.NewLine, StringComparison.Ordinal);
            TestContext.Out.WriteLine(values < 0 ? entry : entry[..values] + (exception > values ? entry[exception..] : string.Empty));
        }
    }

    /// <summary>
    /// Replays the members' callbacks in the order they ran and checks that no partition was ever owned by two members at
    /// once: with the eager protocol every member gives up its partitions before anyone receives new ones.
    /// </summary>
    public static void AssertNoPartitionOwnedTwice(IEnumerable<OwnershipEvent> events)
    {
        var owners = new Dictionary<TopicAndPartition, string>();
        foreach (var e in events)
        {
            foreach (var partition in e.Partitions)
            {
                if (e.Assigned)
                {
                    Assert.That(owners.TryGetValue(partition, out var owner), Is.False,
                        $"{partition} assigned to {e.Member} in generation {e.Generation} while {owner} still owned it");
                    owners[partition] = e.Member;
                }
                else
                {
                    Assert.That(owners.GetValueOrDefault(partition), Is.EqualTo(e.Member), $"{e.Member} revoked {partition} it did not own");
                    owners.Remove(partition);
                }
            }
        }
    }

    /// <summary>All partitions of a topic, sorted.</summary>
    public static TopicAndPartition[] AllPartitions(string topic, int count) =>
        Enumerable.Range(0, count).Select(p => new TopicAndPartition(topic, p)).ToArray();
}

/// <summary>
/// A group member under test: a <see cref="GroupMembership"/> with callbacks that record, in one sequence shared by
/// all members of a test, when each partition was taken and given up.
/// </summary>
internal sealed class TestMember : IAsyncDisposable
{
    private readonly ConcurrentQueue<OwnershipEvent> _events;

    public TestMember(
        string name, KafkaClient client, string groupId, IReadOnlyList<string> topics, GroupMembershipOptions options,
        ConcurrentQueue<OwnershipEvent> events, TimeProvider? timeProvider = null, TimeSpan? revokeDelay = null)
    {
        Name = name;
        _events = events;
        Membership = new GroupMembership(client.Cluster, groupId, topics, options, GroupTestSupport.CoordinatorLookup(client, groupId),
            new GroupMembershipCallbacks
            {
                PartitionsAssigned = (generation, _) =>
                {
                    _events.Enqueue(new OwnershipEvent(Name, generation.GenerationId, generation.Assignment, Assigned: true, Lost: false));
                    return Task.CompletedTask;
                },
                PartitionsRevoked = async (generation, lost, cancellationToken) =>
                {
                    if (revokeDelay is { } delay)
                    {
                        await Task.Delay(delay, cancellationToken);
                    }
                    Revocations.Enqueue((generation, lost));
                    _events.Enqueue(new OwnershipEvent(Name, generation.GenerationId, generation.Assignment, Assigned: false, lost));
                },
                Failed = (error, _) =>
                {
                    Failures.Enqueue(error);
                    return Task.CompletedTask;
                },
            },
            timeProvider);
    }

    public string Name { get; }

    public GroupMembership Membership { get; }

    public ConcurrentQueue<(GroupGeneration Generation, bool Lost)> Revocations { get; } = new();

    public ConcurrentQueue<KafkaException> Failures { get; } = new();

    public GroupMembershipState State => Membership.State;

    public bool IsStable => Membership.State == GroupMembershipState.Stable;

    public Task StartAsync() => Membership.StartAsync();

    public ValueTask DisposeAsync() => Membership.DisposeAsync();

    public override string ToString() =>
        $"{Name} ({Membership.State}, generation {Membership.Generation}, [{string.Join(", ", Membership.Assignment)}])";
}

/// <summary>A member took (or gave up) partitions in a generation.</summary>
internal sealed record OwnershipEvent(string Member, int Generation, IReadOnlyList<TopicAndPartition> Partitions, bool Assigned, bool Lost);

/// <summary>A clock that follows real time in steps until frozen: a member on it stops heartbeating.</summary>
internal sealed class FreezableClock : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticker;
    private volatile bool _frozen;

    public FreezableClock()
    {
        _ticker = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(20, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                if (!_frozen)
                {
                    Time.Advance(TimeSpan.FromMilliseconds(20));
                }
            }
        });
    }

    public FakeTimeProvider Time { get; } = new();

    public void Freeze() => _frozen = true;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _ticker;
        _stop.Dispose();
    }
}
