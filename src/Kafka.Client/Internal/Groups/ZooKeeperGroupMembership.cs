using System.Globalization;
using System.Net;
using System.Text;
using Kafka.ZooKeeper;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Groups;

/// <summary>
/// Membership of a consumer group whose members balance a topic's partitions among themselves through ZooKeeper, in
/// the layout pykafka's <c>BalancedConsumer</c> uses, so that pykafka members and ours can share a group:
/// <list type="bullet">
/// <item><c>/consumers/&lt;group&gt;/ids/&lt;consumer id&gt;</c>: ephemeral, holds the topic name; the members of the
/// group that consume the topic are the ids whose data is its name.</item>
/// <item><c>/consumers/&lt;group&gt;/owners/&lt;topic&gt;/&lt;leader id&gt;-&lt;partition id&gt;</c>: ephemeral, holds the consumer id
/// of the member that owns the partition; creating it is how a member claims a partition, so no two members own one.
/// pykafka under Python 3 writes the topic of this path as <c>b'&lt;topic&gt;'</c> (a bytes object formatted into a
/// string); a member here creates and deletes its claims under both paths in one transaction, so that pykafka
/// members on either Python see them.</item>
/// </list>
/// </summary>
/// <remarks>
/// <para>
/// Each member watches the children of <c>/consumers/&lt;group&gt;/ids</c>, <c>/brokers/ids</c> and
/// <c>/brokers/topics</c> (as pykafka does) and the topic's own node under <c>/brokers/topics</c> (partitions added).
/// On any change it runs a rebalance: it refreshes the topic's metadata, computes its share
/// (<see cref="ZooKeeperAssignment"/>) and, when the share changed, revokes its partitions (the callback commits them),
/// deletes the owner nodes of those it gives up, creates those of its new ones, and hands the partitions it holds to
/// the assigned callback. A partition another member still owns is claimed as soon as that member deletes its node
/// (watched), or on the next try after the rebalance backoff; meanwhile the member consumes the rest.
/// </para>
/// <para>
/// The session is the member's own. While ZooKeeper cannot be reached the member goes on consuming (its nodes live
/// until the session expires); when the session expires its partitions are revoked as lost (they may have gone to
/// other members), and it registers again in a new session. Commits are made as by pykafka: generation -1, no member
/// id, which Kafka accepts for groups with no members of its own.
/// </para>
/// </remarks>
internal sealed partial class ZooKeeperGroupMembership : GroupMembershipBase
{
    private const string BrokerIdsPath = "/brokers/ids";
    private const string BrokerTopicsPath = "/brokers/topics";
    private const int MaxBlockedBackoffSteps = 5;
    private static readonly string[] BrokerPaths = [BrokerIdsPath, BrokerTopicsPath];

    private readonly string _topic;
    private readonly ZooKeeperGroupOptions _options;
    private readonly byte[] _topicBytes;
    private readonly byte[] _consumerIdBytes;
    private readonly string _idsPath;
    private readonly string _selfPath;
    private readonly string[] _ownersPaths;
    private readonly string _topicPath;
    private ZooKeeperClient? _session;
    private long _registeredSession;
    private int _blockedAttempts;

    /// <summary>Creates a member of <paramref name="groupId"/> for <paramref name="topic"/>; nothing happens until <see cref="GroupMembershipBase.StartAsync"/>.</summary>
    /// <exception cref="ArgumentException">The group id or topic cannot be a ZooKeeper node name.</exception>
    public ZooKeeperGroupMembership(Cluster cluster, string groupId, string topic, ZooKeeperGroupOptions options, GroupMembershipCallbacks? callbacks = null)
        : base(cluster, groupId, callbacks, timeProvider: null, "Kafka.Client.ZooKeeperGroupMembership")
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckNodeName(groupId, "consumer group", nameof(groupId));
        CheckNodeName(topic, "topic", nameof(topic));
        if (!ZooKeeperAssignment.IsSupported(options.ProtocolName))
        {
            throw new ArgumentException($"Protocol '{options.ProtocolName}' cannot be used through ZooKeeper; range and roundrobin can.", nameof(options));
        }
        _topic = topic;
        _options = options;
        MemberId = options.ConsumerId ?? string.Create(CultureInfo.InvariantCulture, $"{Dns.GetHostName()}:{Guid.NewGuid():D}");
        CheckNodeName(MemberId, "consumer id", nameof(options));
        _topicBytes = Encoding.UTF8.GetBytes(topic);
        _consumerIdBytes = Encoding.UTF8.GetBytes(MemberId);
        _idsPath = $"/consumers/{groupId}/ids";
        _selfPath = $"{_idsPath}/{MemberId}";
        // pykafka writes the topic into this path with str.format: under Python 3, whose topic names are bytes, that is
        // "b'orders'" rather than "orders". Claims are made under both, in one transaction, so that members on either
        // Python see them.
        _ownersPaths = [$"/consumers/{groupId}/owners/{topic}", $"/consumers/{groupId}/owners/b'{topic}'"];
        _topicPath = $"{BrokerTopicsPath}/{topic}";
    }

    /// <summary>The consumer id this member registers under (<c>&lt;host name&gt;:&lt;uuid&gt;</c>).</summary>
    public override string MemberId { get; }

    /// <summary>The path of the member's registration.</summary>
    internal string RegistrationPath => _selfPath;

    /// <summary>The paths under which the members claim the topic's partitions (pykafka's, under Python 2 and Python 3).</summary>
    internal IReadOnlyList<string> OwnersPaths => _ownersPaths;

    /// <summary>One loop: registers, then rebalances whenever the group or the topic changes.</summary>
    protected override IEnumerable<Func<Task>> Loops() => [RunAsync];

    /// <summary>
    /// Nothing to act on: the members commit as a group without Kafka members (generation -1), and a refusal (the
    /// group has members in Kafka's group protocol) is the committer's to report.
    /// </summary>
    public override void ReportGroupError(KafkaErrorCode error) => Log.CommitRefused(Logger, GroupId, KafkaErrors.GetName(error));

    // ---- the loop ----

    private async Task RunAsync()
    {
        var token = Stopping;
        var failures = 0;
        var outageLogged = false; // ZooKeeper or the brokers unreachable: logged once per outage, not every retry
        while (!token.IsCancellationRequested)
        {
            try
            {
                var session = await GetSessionAsync(token).ConfigureAwait(false);
                var blocked = await RebalanceAsync(session, token).ConfigureAwait(false);
                failures = 0;
                outageLogged = false;
                await WaitForWakeAsync(blocked ? BlockedBackoff() : null, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (SessionExpiredException)
            {
                // The next pass sees the expired session, revokes and registers again.
            }
            catch (ConnectionLossException ex)
            {
                // The client reconnects by itself; the registrations live as long as the session does.
                if (!outageLogged)
                {
                    outageLogged = true;
                    Log.ZooKeeperUnreachable(Logger, GroupId, _options.ConnectString, ex.Message);
                }
                await DelaySafelyAsync(_options.RebalanceBackoff, token).ConfigureAwait(false);
            }
            catch (KafkaException ex) when (ex.IsRetriable)
            {
                // The topic's metadata could not be read: brokers come back.
                if (!outageLogged)
                {
                    outageLogged = true;
                    Log.MetadataFailed(Logger, GroupId, _topic, ex.Message);
                }
                await DelaySafelyAsync(_options.RebalanceBackoff, token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failures++;
                if (failures > _options.RebalanceMaxRetries)
                {
                    await FailAsync(new KafkaException(
                        $"Group '{GroupId}': rebalancing through ZooKeeper at {_options.ConnectString} failed {failures} times in a row; giving up. Last error: {ex.Message}",
                        isRetriable: false, ex)).ConfigureAwait(false);
                    return;
                }
                var backoff = _options.RebalanceBackoff * failures;
                Log.RebalanceFailed(Logger, ex, GroupId, failures, _options.RebalanceMaxRetries, backoff.TotalMilliseconds);
                await DelaySafelyAsync(backoff, token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The live session, registered; after an expiry, the partitions are revoked as lost and a new session registers.</summary>
    private async Task<ZooKeeperClient> GetSessionAsync(CancellationToken token)
    {
        var session = _session;
        if (session is { State: ZooKeeperState.Expired or ZooKeeperState.Closed })
        {
            Log.SessionExpired(Logger, GroupId, MemberId);
            await RevokeAsync(lost: true, "the ZooKeeper session expired").ConfigureAwait(false);
            _session = null;
            session.StateChanged -= OnStateChanged;
            await session.DisposeAsync().ConfigureAwait(false);
            session = null;
        }
        if (session is null)
        {
            session = new ZooKeeperClient(new ZooKeeperClientOptions
            {
                ConnectString = _options.ConnectString,
                SessionTimeout = _options.SessionTimeout,
                ConnectTimeout = Cluster.Settings.ConnectTimeout,
            }, Cluster.Settings.LoggerFactory, Time);
            session.StateChanged += OnStateChanged;
            _session = session;
        }
        await session.ConnectAsync(token).ConfigureAwait(false);
        if (_registeredSession != session.SessionId)
        {
            foreach (var path in _ownersPaths)
            {
                await session.EnsurePathAsync(path, token).ConfigureAwait(false);
            }
            await RegisterAsync(session, token).ConfigureAwait(false);
            _registeredSession = session.SessionId;
            Log.Registered(Logger, GroupId, MemberId, _topic, _options.ConnectString);
        }
        return session;
    }

    /// <summary>Creates the member's ephemeral registration, holding the topic name.</summary>
    private async Task RegisterAsync(ZooKeeperClient session, CancellationToken token)
    {
        await session.EnsurePathAsync(_idsPath, token).ConfigureAwait(false);
        try
        {
            await session.CreateAsync(_selfPath, _topicBytes, CreateMode.Ephemeral, token).ConfigureAwait(false);
        }
        catch (NodeExistsException)
        {
            var existing = await session.GetDataAsync(_selfPath, token).ConfigureAwait(false);
            if (existing.Stat.EphemeralOwner == session.SessionId)
            {
                return; // created by an attempt whose answer was lost
            }
            // Left by this member's previous session, which the server has not expired yet: it is ours to replace.
            await session.DeleteAsync(_selfPath, existing.Stat.Version, token).ConfigureAwait(false);
            await session.CreateAsync(_selfPath, _topicBytes, CreateMode.Ephemeral, token).ConfigureAwait(false);
        }
    }

    /// <summary>One rebalance pass; returns whether partitions of this member's share are still owned by others.</summary>
    private async Task<bool> RebalanceAsync(ZooKeeperClient session, CancellationToken token)
    {
        await WatchBrokersAsync(session, token).ConfigureAwait(false);
        var partitions = await ReadPartitionsAsync(token).ConfigureAwait(false);
        var participants = await ReadParticipantsAsync(session, token).ConfigureAwait(false);
        var share = ZooKeeperAssignment.Decide(_options.ProtocolName, participants, partitions, MemberId);
        var wanted = share.ToDictionary(p => p.PartitionId, p => ZooKeeperAssignment.OwnerNodeName(p.LeaderId, p.PartitionId));
        var owners = await ReadOwnersAsync(session, token).ConfigureAwait(false);

        // This member's nodes: those of this session, and those an earlier session of it left (which vanish when the
        // server expires that session, so they are replaced).
        var held = new Dictionary<int, List<string>>();
        var stale = new List<string>();
        foreach (var (pid, nodes) in owners)
        {
            foreach (var node in nodes.Where(n => n.Owner == MemberId))
            {
                if (node.Session == session.SessionId)
                {
                    (held.TryGetValue(pid, out var paths) ? paths : held[pid] = []).Add(node.Path);
                }
                else
                {
                    stale.Add(node.Path);
                }
            }
        }
        var release = held.Where(kv => !wanted.ContainsKey(kv.Key)).SelectMany(kv => kv.Value).ToList();
        var keep = held.Keys.Where(wanted.ContainsKey).ToHashSet();
        var claim = wanted.Where(kv => !keep.Contains(kv.Key) && !OwnedByOther(owners, kv.Key)).ToList();
        var blocked = wanted.Keys.Where(pid => !keep.Contains(pid) && OwnedByOther(owners, pid)).ToList();

        var current = Current;
        var currentSet = current?.Assignment.Select(p => p.Partition).ToHashSet() ?? [];
        var changed = current is null || release.Count > 0 || claim.Count > 0 || stale.Count > 0 || !currentSet.SetEquals(keep);
        if (changed)
        {
            Log.Rebalancing(Logger, GroupId, MemberId, participants.Count, partitions.Count, wanted.Count);
            // Commit (in the revoke callback) before letting partitions go, so that their next owner starts after what this member consumed.
            await RevokeAsync(lost: false, "the group or the topic changed").ConfigureAwait(false);
            foreach (var path in release.Concat(stale))
            {
                await DeleteIfPresentAsync(session, path, token).ConfigureAwait(false);
            }
            foreach (var (pid, node) in claim)
            {
                if (await TryClaimAsync(session, node, token).ConfigureAwait(false))
                {
                    keep.Add(pid);
                }
                else
                {
                    blocked.Add(pid);
                }
            }
            var assignment = keep.Order().Select(pid => new TopicAndPartition(_topic, pid)).ToArray();
            var generation = new GroupGeneration(-1, string.Empty, _options.ProtocolName, string.Empty, assignment);
            BeginGeneration(generation);
            if (assignment.Length == 0)
            {
                Log.NothingAssigned(Logger, GroupId, MemberId, participants.Count, partitions.Count);
            }
            await InvokeAssignedAsync(generation).ConfigureAwait(false);
        }

        if (blocked.Count == 0)
        {
            _blockedAttempts = 0;
            return false;
        }
        _blockedAttempts++;
        foreach (var pid in blocked)
        {
            var others = owners.TryGetValue(pid, out var nodes) ? nodes.FindAll(n => n.Owner != MemberId) : [];
            var owner = others.Count > 0 ? others[0].Owner : "another member";
            // Told as soon as the owner lets go; the retry after the backoff covers a watch that never fires.
            foreach (var other in others)
            {
                if (await session.ExistsAsync(other.Path, OnWatchedEvent, token).ConfigureAwait(false) is null)
                {
                    Wake(); // released already: try again now
                }
            }
            if (others.Count == 0)
            {
                Wake(); // the claim lost a race with a node that is gone again
            }
            if (_blockedAttempts > _options.RebalanceMaxRetries)
            {
                Log.PartitionStillOwned(Logger, GroupId, _topic, pid, owner, _blockedAttempts);
            }
            else
            {
                Log.PartitionOwned(Logger, GroupId, _topic, pid, owner);
            }
        }
        return true;
    }

    /// <summary>Whether a node of another member claims the partition (under any leader id: a node named after an old leader counts too).</summary>
    private bool OwnedByOther(Dictionary<int, List<OwnerNode>> owners, int pid) =>
        owners.TryGetValue(pid, out var nodes) && nodes.Exists(n => n.Owner != MemberId);

    /// <summary>Watches the brokers and topics Kafka registers, as pykafka does (each may be missing).</summary>
    private async Task WatchBrokersAsync(ZooKeeperClient session, CancellationToken token)
    {
        foreach (var path in BrokerPaths)
        {
            if (await session.ExistsAsync(path, OnWatchedEvent, token).ConfigureAwait(false) is not null)
            {
                try
                {
                    await session.GetChildrenAsync(path, OnWatchedEvent, token).ConfigureAwait(false);
                }
                catch (NoNodeException)
                {
                    // Deleted between the two reads: the exists watch has fired.
                }
            }
        }
        // The topic's registration changes when partitions are added.
        await session.ExistsAsync(_topicPath, OnWatchedEvent, token).ConfigureAwait(false);
    }

    /// <summary>The topic's partitions and their leaders, from fresh metadata so that the members compute from the same.</summary>
    private async Task<IReadOnlyCollection<ZooKeeperPartition>> ReadPartitionsAsync(CancellationToken token)
    {
        // Metadata newer than this pass: the members compute their shares from the same partitions and leaders.
        if (await Cluster.Metadata.WaitForRefreshAsync($"group '{GroupId}' rebalances {_topic} through ZooKeeper", token).ConfigureAwait(false) is { } error)
        {
            throw error as KafkaException ?? new KafkaException($"The metadata of topic '{_topic}' could not be refreshed: {error.Message}", isRetriable: true, error);
        }
        if (!Cluster.Topics.TryGetValue(_topic, out var topic))
        {
            Log.UnknownTopic(Logger, GroupId, _topic);
            return [];
        }
        return [.. topic.Partitions.Values.Select(p => new ZooKeeperPartition(p.Id, p.Leader?.Id ?? -1))];
    }

    /// <summary>The registered members that consume this topic (their registration holds its name); includes this member.</summary>
    private async Task<IReadOnlyList<string>> ReadParticipantsAsync(ZooKeeperClient session, CancellationToken token)
    {
        var ids = await session.GetChildrenAsync(_idsPath, OnWatchedEvent, token).ConfigureAwait(false);
        var participants = new List<string>(ids.Children.Count);
        var self = false;
        foreach (var id in ids.Children)
        {
            try
            {
                var data = await session.GetDataAsync($"{_idsPath}/{id}", token).ConfigureAwait(false);
                if (data.Data.Span.SequenceEqual(_topicBytes))
                {
                    participants.Add(id);
                    self |= id == MemberId;
                }
            }
            catch (NoNodeException)
            {
                // Gone between the two reads: that member left.
            }
        }
        if (!self)
        {
            // The registration vanished (the session was renewed under it, or someone deleted it): make it again.
            await RegisterAsync(session, token).ConfigureAwait(false);
            participants.Add(MemberId);
        }
        return participants;
    }

    /// <summary>The owner nodes of the topic's partitions, under both owner paths, by partition id.</summary>
    private async Task<Dictionary<int, List<OwnerNode>>> ReadOwnersAsync(ZooKeeperClient session, CancellationToken token)
    {
        var owners = new Dictionary<int, List<OwnerNode>>();
        foreach (var parent in _ownersPaths)
        {
            ChildrenResult children;
            try
            {
                children = await session.GetChildrenAsync(parent, token).ConfigureAwait(false);
            }
            catch (NoNodeException)
            {
                await session.EnsurePathAsync(parent, token).ConfigureAwait(false);
                continue;
            }
            foreach (var node in children.Children)
            {
                if (!ZooKeeperAssignment.TryParseOwnerNodeName(node, out var pid))
                {
                    continue;
                }
                var path = $"{parent}/{node}";
                try
                {
                    var data = await session.GetDataAsync(path, token).ConfigureAwait(false);
                    (owners.TryGetValue(pid, out var list) ? list : owners[pid] = []).Add(
                        new OwnerNode(path, Encoding.UTF8.GetString(data.Data.Span), data.Stat.EphemeralOwner));
                }
                catch (NoNodeException)
                {
                    // Released between the two reads.
                }
            }
        }
        return owners;
    }

    /// <summary>Creates the partition's owner nodes under both paths at once; false when another member owns it.</summary>
    private async Task<bool> TryClaimAsync(ZooKeeperClient session, string node, CancellationToken token)
    {
        var paths = Array.ConvertAll(_ownersPaths, parent => $"{parent}/{node}");
        try
        {
            await session.MultiAsync(Array.ConvertAll(paths, path => ZooKeeperOp.Create(path, _consumerIdBytes, CreateMode.Ephemeral)), token).ConfigureAwait(false);
            return true;
        }
        catch (NodeExistsException)
        {
            // This member's, from an attempt whose answer was lost, or another member's.
            foreach (var path in paths)
            {
                try
                {
                    var existing = await session.GetDataAsync(path, token).ConfigureAwait(false);
                    if (existing.Stat.EphemeralOwner != session.SessionId)
                    {
                        return false;
                    }
                }
                catch (NoNodeException)
                {
                    return false; // released meanwhile: the next pass claims it
                }
            }
            return true;
        }
    }

    private static async Task DeleteIfPresentAsync(ZooKeeperClient session, string path, CancellationToken token)
    {
        try
        {
            await session.DeleteAsync(path, -1, token).ConfigureAwait(false);
        }
        catch (NoNodeException)
        {
            // Already gone.
        }
    }

    // ---- signals ----

    /// <summary>Every watch of this member: any change of what it watches means another rebalance pass.</summary>
    private void OnWatchedEvent(WatchedEvent e) => Wake();

    private void OnStateChanged(object? sender, ZooKeeperStateChangedEventArgs e)
    {
        // Expired: revoke and register again at once. Connected after a disconnection: look again, in case a change
        // happened while away (the watches are restored too, this is the belt to their braces).
        if (e.State == ZooKeeperState.Expired || (e.State == ZooKeeperState.Connected && e.PreviousState == ZooKeeperState.Disconnected))
        {
            Wake();
        }
    }


    private TimeSpan BlockedBackoff() => _options.RebalanceBackoff * Math.Min(_blockedAttempts, MaxBlockedBackoffSteps);

    // ---- stopping ----

    /// <summary>
    /// Revokes the partitions (as lost when the session is gone: others may own them by now) and closes the session,
    /// whose end deletes the member's registration and owner nodes at once; the other members rebalance at once.
    /// </summary>
    protected override async Task LeaveAsync(bool failed, CancellationToken cancellationToken)
    {
        var session = _session;
        var lost = failed || session is null || session.State is ZooKeeperState.Expired or ZooKeeperState.Closed;
        await RevokeAsync(lost, "the member is stopping").ConfigureAwait(false);
        if (session is not null)
        {
            session.StateChanged -= OnStateChanged;
            await session.DisposeAsync().ConfigureAwait(false);
            _session = null;
        }
    }

    private static void CheckNodeName(string value, string what, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, parameter);
        if (value is "." or ".." || value.Contains('/', StringComparison.Ordinal) || value.Any(c => c == '\0' || char.IsControl(c)))
        {
            throw new ArgumentException($"The {what} '{value}' cannot be a ZooKeeper node name (no '/', no control characters, not '.' or '..').", parameter);
        }
    }

    /// <summary>An owner node: its path, the consumer id it holds, and the session it belongs to.</summary>
    private readonly record struct OwnerNode(string Path, string Owner, long Session);

    private static partial class Log
    {
        [LoggerMessage(250, LogLevel.Information, "Group {GroupId}: member {MemberId} registered for topic {Topic} in ZooKeeper at {ConnectString}")]
        public static partial void Registered(ILogger logger, string groupId, string memberId, string topic, string connectString);

        [LoggerMessage(251, LogLevel.Information, "Group {GroupId}: member {MemberId} rebalancing: {Participants} members, {Partitions} partitions, {Share} for this member")]
        public static partial void Rebalancing(ILogger logger, string groupId, string memberId, int participants, int partitions, int share);

        [LoggerMessage(252, LogLevel.Information, "Group {GroupId}: {Topic}/{Partition} is still owned by {Owner}; claiming it once it is released")]
        public static partial void PartitionOwned(ILogger logger, string groupId, string topic, int partition, string owner);

        [LoggerMessage(253, LogLevel.Warning, "Group {GroupId}: {Topic}/{Partition} is still owned by {Owner} after {Attempts} attempts; does a member compute the assignment differently (another protocol, other metadata)?")]
        public static partial void PartitionStillOwned(ILogger logger, string groupId, string topic, int partition, string owner, int attempts);

        [LoggerMessage(254, LogLevel.Warning, "Group {GroupId}: member {MemberId} has no partition ({Participants} members, {Partitions} partitions)")]
        public static partial void NothingAssigned(ILogger logger, string groupId, string memberId, int participants, int partitions);

        [LoggerMessage(255, LogLevel.Warning, "Group {GroupId}: the ZooKeeper session of member {MemberId} expired; its partitions are given up and it registers again")]
        public static partial void SessionExpired(ILogger logger, string groupId, string memberId);

        [LoggerMessage(256, LogLevel.Warning, "Group {GroupId}: ZooKeeper at {ConnectString} cannot be reached ({Reason}); consuming goes on while the session lives")]
        public static partial void ZooKeeperUnreachable(ILogger logger, string groupId, string connectString, string reason);

        [LoggerMessage(257, LogLevel.Warning, "Group {GroupId}: reading the metadata of topic {Topic} failed: {Reason}; retrying")]
        public static partial void MetadataFailed(ILogger logger, string groupId, string topic, string reason);

        [LoggerMessage(258, LogLevel.Warning, "Group {GroupId}: rebalancing failed ({Failures} of {MaxRetries} in a row); retrying in {BackoffMs} ms")]
        public static partial void RebalanceFailed(ILogger logger, Exception exception, string groupId, int failures, int maxRetries, double backoffMs);

        [LoggerMessage(259, LogLevel.Warning, "Group {GroupId}: topic {Topic} is not in the cluster metadata; no partitions to share")]
        public static partial void UnknownTopic(ILogger logger, string groupId, string topic);





        [LoggerMessage(264, LogLevel.Warning, "Group {GroupId}: an offset commit was refused with {Error}; does the group also have members in Kafka's group protocol?")]
        public static partial void CommitRefused(ILogger logger, string groupId, string error);
    }
}
