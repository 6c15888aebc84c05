using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Groups;

/// <summary>
/// One member of a consumer group on Kafka's consumer group protocol (KIP-848, Kafka 4.0): the coordinator assigns
/// the partitions, and the member only heartbeats (ConsumerGroupHeartbeat) with its epoch and, when they changed, its
/// subscription and the partitions it owns. An assignment change is incremental: the member gives up the partitions
/// it is asked to and takes the new ones, and keeps consuming those that stay, with no stop-the-world rebalance.
/// </summary>
/// <remarks>
/// <para>
/// Two loops run per member. The heartbeat loop talks to the coordinator: it joins (epoch 0), heartbeats every
/// interval the coordinator asks for, reports the partitions the member owns once it has taken or given them up, and
/// turns errors into rejoins (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID: the partitions are lost), coordinator lookups
/// or a failure. The main loop reconciles: it resolves the assignment's topic ids, revokes what is no longer the
/// member's, then assigns, through <see cref="GroupMembershipCallbacks"/>; heartbeats go on while callbacks run.
/// </para>
/// <para>
/// The member id is the member's own (KIP-1082). Commits carry the member epoch in place of the generation id.
/// </para>
/// </remarks>
internal sealed partial class ConsumerGroupMembership : GroupMembershipBase
{
    private const string LeaveReason = "the member is stopping";

    private readonly string[] _topics;
    private readonly GroupMembershipOptions _options;
    private readonly Func<CancellationToken, Task<Broker>> _findCoordinator;
    private readonly CancellationTokenSource _connectionLifetime = new();
    private readonly AsyncSignal _heartbeatWake = new();
    private readonly Lock _lock = new();

    // Shared between the loops, under _lock.
    private int _epoch;
    private PendingAssignment? _pending;
    private string? _lostReason;
    private IReadOnlyList<TopicIdPartitions> _ownedIds = [];
    private bool _ownedChanged;
    private bool _sendFull = true;
    private bool _unresolved;
    private IReadOnlyList<TopicIdPartitions>? _lastAssignment;

    private volatile Coordinator? _coordinator;
    private volatile KafkaException? _fatal;
    private long _lastAcknowledged;
    private TimeSpan _interval;
    private int _unexpectedFailures;

    /// <summary>Creates a member of <paramref name="groupId"/>; nothing happens until <see cref="GroupMembershipBase.StartAsync"/>.</summary>
    /// <param name="cluster">The cluster: metadata for topic ids, settings for connections.</param>
    /// <param name="groupId">The group to join.</param>
    /// <param name="topics">The topics this member subscribes to by name (may be empty with a regular expression).</param>
    /// <param name="options">Timeouts, server assignor, regular expression, static membership.</param>
    /// <param name="findCoordinator">Finds the group's coordinator (FindCoordinator).</param>
    /// <param name="callbacks">What to call as the assignment changes.</param>
    /// <param name="timeProvider">The clock; the client's by default.</param>
    /// <exception cref="ArgumentException">There is nothing to subscribe to, or the options are invalid.</exception>
    public ConsumerGroupMembership(
        Cluster cluster,
        string groupId,
        IReadOnlyList<string> topics,
        GroupMembershipOptions options,
        Func<CancellationToken, Task<Broker>> findCoordinator,
        GroupMembershipCallbacks? callbacks = null,
        TimeProvider? timeProvider = null)
        : base(cluster, groupId, callbacks, timeProvider, "Kafka.Client.GroupMembership")
    {
        _topics = CheckMemberArguments(topics, options, findCoordinator, regexMayStandIn: true);
        _options = options;
        _findCoordinator = findCoordinator;
        _interval = options.HeartbeatInterval;
        // KIP-1082: the member names itself, once for its whole life (Kafka's Uuid text form).
        MemberId = Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <inheritdoc/>
    public override string MemberId { get; }

    /// <summary>The member's epoch (0 before it joined or after it was fenced).</summary>
    public int MemberEpoch
    {
        get
        {
            lock (_lock)
            {
                return _epoch;
            }
        }
    }

    private string AssignorName => _options.ServerAssignor ?? "broker default";

    /// <summary>The heartbeat loop and the reconciling loop.</summary>
    protected override IEnumerable<Func<Task>> Loops() => [RunAsync, HeartbeatLoopAsync];

    /// <summary>A commit met a group error: fenced or unknown members rejoin, a moved coordinator is looked up again.</summary>
    public override void ReportGroupError(KafkaErrorCode error)
    {
        switch (error)
        {
            case KafkaErrorCode.FencedMemberEpoch or KafkaErrorCode.UnknownMemberId:
                PostLost($"a commit was answered {KafkaErrors.GetName(error)}");
                break;
            case KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable:
                _heartbeatWake.Set();
                break;
        }
    }

    // ---- the reconciling loop ----

    private async Task RunAsync()
    {
        var token = Stopping;
        IReadOnlyList<TopicAndPartition> owned = [];
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (_fatal is { } fatal)
                {
                    await FailAsync(fatal).ConfigureAwait(false);
                    return;
                }
                string? lost;
                PendingAssignment? pending;
                lock (_lock)
                {
                    lost = _lostReason;
                    pending = _pending;
                    _pending = null;
                }
                if (lost is not null)
                {
                    await RevokeAsync(lost: true, lost).ConfigureAwait(false);
                    owned = [];
                    lock (_lock)
                    {
                        _lostReason = null;
                        _pending = null;
                        _ownedIds = [];
                        _ownedChanged = false;
                    }
                    _heartbeatWake.Set();
                    continue;
                }
                if (pending is not null)
                {
                    owned = await ReconcileAsync(owned, pending, token).ConfigureAwait(false);
                    continue;
                }
                await WaitForWakeAsync(null, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // A reconciliation that failed (metadata unreachable) is tried again with the next heartbeat.
                Log.ReconcileFailed(Logger, GroupId, ex.Message);
                lock (_lock)
                {
                    _unresolved = true;
                }
                await DelaySafelyAsync(_options.RebalanceBackoff, token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Revokes what the member no longer owns, then assigns the new generation; returns what it owns now.</summary>
    private async Task<IReadOnlyList<TopicAndPartition>> ReconcileAsync(
        IReadOnlyList<TopicAndPartition> owned, PendingAssignment pending, CancellationToken token)
    {
        var (target, ids, complete) = await ResolveAsync(pending.Assignment, token).ConfigureAwait(false);
        var keep = new HashSet<TopicAndPartition>(target);
        TopicAndPartition[] revoked = [.. owned.Where(p => !keep.Contains(p))];
        if (revoked.Length > 0)
        {
            await RevokePartitionsAsync(revoked, $"the coordinator moved them elsewhere (epoch {pending.Epoch})").ConfigureAwait(false);
        }
        var added = target.Count(p => !owned.Contains(p));
        var generation = new GroupGeneration(pending.Epoch, MemberId, AssignorName, string.Empty, target);
        BeginGeneration(generation);
        if (revoked.Length > 0 || added > 0)
        {
            Log.Reconciled(Logger, GroupId, pending.Epoch, target.Length, added, revoked.Length);
        }
        await InvokeAssignedAsync(generation).ConfigureAwait(false);
        lock (_lock)
        {
            if (_lostReason is null)
            {
                _ownedIds = ids;
                _ownedChanged = true;
                _unresolved = !complete;
            }
        }
        _heartbeatWake.Set();
        return target;
    }

    /// <summary>The assignment by topic name, sorted; topic ids this client does not know yet wait for fresh metadata once.</summary>
    private async Task<(TopicAndPartition[] Partitions, IReadOnlyList<TopicIdPartitions> Ids, bool Complete)> ResolveAsync(
        IReadOnlyList<TopicIdPartitions> assignment, CancellationToken token)
    {
        var names = TopicNamesById();
        if (assignment.Any(t => !names.ContainsKey(t.TopicId)))
        {
            await Cluster.Metadata.WaitForRefreshAsync($"group '{GroupId}' was assigned a topic id the metadata does not have", token).ConfigureAwait(false);
            names = TopicNamesById();
        }
        var partitions = new List<TopicAndPartition>();
        var ids = new List<TopicIdPartitions>(assignment.Count);
        var complete = true;
        foreach (var topic in assignment)
        {
            if (!names.TryGetValue(topic.TopicId, out var name))
            {
                Log.UnknownTopicId(Logger, GroupId, topic.TopicId);
                complete = false;
                continue;
            }
            ids.Add(topic);
            partitions.AddRange(topic.Partitions.Select(p => new TopicAndPartition(name, p)));
        }
        partitions.Sort();
        return ([.. partitions.Distinct()], ids, complete);
    }

    private Dictionary<Guid, string> TopicNamesById()
    {
        var names = new Dictionary<Guid, string>();
        foreach (var (name, topic) in Cluster.Snapshot.Topics)
        {
            if (topic.TopicId != Guid.Empty)
            {
                names[topic.TopicId] = name;
            }
        }
        return names;
    }

    // ---- the heartbeat loop ----

    private async Task HeartbeatLoopAsync()
    {
        var token = Stopping;
        var failures = 0;
        await LearnTopicIdsAsync(token).ConfigureAwait(false);
        Interlocked.Exchange(ref _lastAcknowledged, Time.GetTimestamp());
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (_fatal is not null)
                {
                    return;
                }
                bool waitForLoss;
                lock (_lock)
                {
                    waitForLoss = _lostReason is not null;
                }
                if (waitForLoss)
                {
                    // The partitions are given up before the member joins again.
                    await _heartbeatWake.WaitAsync(token).ConfigureAwait(false);
                    continue;
                }
                var coordinator = _coordinator ?? await DiscoverCoordinatorAsync(token).ConfigureAwait(false);
                if (coordinator is null)
                {
                    CheckSessionExpired();
                    await DelaySafelyAsync(CoordinatorBackoff(++failures), token).ConfigureAwait(false);
                    continue;
                }
                var (request, reportedOwned) = NextHeartbeat();
                var response = await SendAsync(coordinator, request, token).ConfigureAwait(false);
                if (Handle(coordinator, request, response, reportedOwned))
                {
                    failures = 0;
                }
                else
                {
                    await DelaySafelyAsync(CoordinatorBackoff(++failures), token).ConfigureAwait(false);
                    continue;
                }
                bool ackDue;
                lock (_lock)
                {
                    ackDue = _ownedChanged || _lostReason is not null;
                }
                if (!ackDue)
                {
                    await _heartbeatWake.WaitAsync(_interval, Time, token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (IsFatal(ex))
            {
                PostFatal(ex as KafkaException ?? new KafkaException(ex.Message, isRetriable: false, ex));
                return;
            }
            catch (Exception ex)
            {
                // Connection lost or timed out: look for the coordinator again, and send everything next time.
                failures++;
                Log.HeartbeatFailed(Logger, GroupId, _coordinator?.Broker.ToString() ?? "no coordinator", ex.Message);
                await DropCoordinatorAsync().ConfigureAwait(false);
                lock (_lock)
                {
                    _sendFull = true;
                }
                CheckSessionExpired();
                await DelaySafelyAsync(CoordinatorBackoff(failures), token).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The subscribed topics' metadata (ids included), so that assignments by topic id resolve at once.</summary>
    private async Task LearnTopicIdsAsync(CancellationToken token)
    {
        foreach (var topic in _topics)
        {
            try
            {
                await Cluster.FetchTopicAsync(topic, token).ConfigureAwait(false);
            }
            catch (KafkaException ex)
            {
                Log.TopicUnavailable(Logger, GroupId, topic, ex.Message);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>The next heartbeat: everything after a join or an error, otherwise the epoch and what changed.</summary>
    private (ConsumerGroupHeartbeatRequest Request, bool ReportedOwned) NextHeartbeat()
    {
        lock (_lock)
        {
            var request = new ConsumerGroupHeartbeatRequest { GroupId = GroupId, MemberId = MemberId, MemberEpoch = _epoch };
            var full = _sendFull || _epoch == ConsumerGroupHeartbeatRequest.JoinEpoch;
            if (full)
            {
                request.InstanceId = _options.GroupInstanceId;
                request.RebalanceTimeoutMs = (int)_options.RebalanceTimeout.TotalMilliseconds;
                request.SubscribedTopicNames = _topics;
                // The regex and the names go together (an empty regex: none), as Kafka 4's clients send them.
                request.SubscribedTopicRegex = _options.TopicRegex ?? string.Empty;
                request.ServerAssignor = _options.ServerAssignor;
                request.TopicPartitions = _epoch == ConsumerGroupHeartbeatRequest.JoinEpoch ? [] : _ownedIds;
            }
            else if (_ownedChanged)
            {
                request.TopicPartitions = _ownedIds;
            }
            return (request, request.TopicPartitions is not null);
        }
    }

    /// <summary>Acts on an answer; false when the loop should back off before the next heartbeat.</summary>
    private bool Handle(Coordinator coordinator, ConsumerGroupHeartbeatRequest request, ConsumerGroupHeartbeatResponse response, bool reportedOwned)
    {
        switch (response.ErrorCode)
        {
            case KafkaErrorCode.None:
                break;
            case KafkaErrorCode.FencedMemberEpoch or KafkaErrorCode.UnknownMemberId:
                Log.Fenced(Logger, GroupId, MemberId, request.MemberEpoch, KafkaErrors.GetName(response.ErrorCode));
                PostLost($"the coordinator answered {KafkaErrors.GetName(response.ErrorCode)}");
                return true;
            case KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable:
                _ = DropCoordinatorAsync();
                MarkFull();
                return false;
            case KafkaErrorCode.CoordinatorLoadInProgress:
                return false;
            default:
                var error = new KafkaBrokerException(response.ErrorCode,
                    $"Group '{GroupId}': ConsumerGroupHeartbeat failed with {KafkaErrors.GetName(response.ErrorCode)}: {response.ErrorMessage ?? KafkaErrors.GetDescription(response.ErrorCode)}");
                if (IsFatalError(response.ErrorCode) || ++_unexpectedFailures > _options.RebalanceMaxRetries)
                {
                    throw error;
                }
                Log.HeartbeatFailed(Logger, GroupId, coordinator.Broker.ToString(), error.Message);
                return false;
        }
        _unexpectedFailures = 0;
        Interlocked.Exchange(ref _lastAcknowledged, Time.GetTimestamp());
        if (response.HeartbeatIntervalMs > 0)
        {
            _interval = TimeSpan.FromMilliseconds(response.HeartbeatIntervalMs);
        }
        bool post;
        lock (_lock)
        {
            var joined = _epoch == ConsumerGroupHeartbeatRequest.JoinEpoch && response.MemberEpoch > 0;
            var epochChanged = response.MemberEpoch != _epoch;
            _epoch = response.MemberEpoch;
            _sendFull = false;
            if (reportedOwned && ReferenceEquals(request.TopicPartitions, _ownedIds))
            {
                _ownedChanged = false;
            }
            if (response.Assignment is { } assignment)
            {
                _lastAssignment = assignment;
            }
            else if (joined)
            {
                _lastAssignment ??= [];
            }
            post = _lastAssignment is not null && (response.Assignment is not null || epochChanged || _unresolved);
            if (post)
            {
                _pending = new PendingAssignment(_epoch, _lastAssignment!);
                _unresolved = false;
            }
        }
        if (post)
        {
            Wake();
        }
        if (!coordinator.Logged)
        {
            coordinator.Logged = true;
            Log.Joined(Logger, GroupId, MemberId, response.MemberEpoch, coordinator.Broker.ToString());
        }
        return true;
    }

    private void MarkFull()
    {
        lock (_lock)
        {
            _sendFull = true;
        }
    }

    /// <summary>Without an answer for a whole session timeout, the coordinator has dropped the member: its partitions are lost.</summary>
    private void CheckSessionExpired()
    {
        int epoch;
        lock (_lock)
        {
            epoch = _epoch;
        }
        if (epoch > 0 && Time.GetElapsedTime(Interlocked.Read(ref _lastAcknowledged)) >= _options.SessionTimeout)
        {
            PostLost("no heartbeat was answered within the session timeout");
        }
    }

    /// <summary>The member lost its place: the partitions are revoked as lost and it joins again with epoch 0.</summary>
    private void PostLost(string reason)
    {
        lock (_lock)
        {
            _epoch = ConsumerGroupHeartbeatRequest.JoinEpoch;
            _sendFull = true;
            _lastAssignment = null;
            _pending = null;
            _lostReason ??= reason;
        }
        Wake();
    }

    private void PostFatal(KafkaException error)
    {
        _fatal ??= error;
        Wake();
    }

    // ---- the coordinator ----

    private async Task<Coordinator?> DiscoverCoordinatorAsync(CancellationToken token)
    {
        try
        {
            var broker = await _findCoordinator(token).ConfigureAwait(false)
                ?? throw new KafkaException($"No coordinator was found for group '{GroupId}'.", isRetriable: true);
            var coordinator = new Coordinator(broker, new ConnectionSlot(broker, ConnectionKind.Group, Cluster.Settings, _connectionLifetime.Token));
            _coordinator = coordinator;
            MarkFull();
            return coordinator;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (!IsFatal(ex))
        {
            Log.CoordinatorLookupFailed(Logger, GroupId, ex.Message);
            return null;
        }
    }

    private async Task DropCoordinatorAsync()
    {
        var coordinator = Interlocked.Exchange(ref _coordinator, null);
        if (coordinator is not null)
        {
            await coordinator.Slot.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<ConsumerGroupHeartbeatResponse> SendAsync(Coordinator coordinator, ConsumerGroupHeartbeatRequest request, CancellationToken token)
    {
        var connection = await coordinator.Slot.GetAsync(token).ConfigureAwait(false);
        return await connection.SendAsync(request, Cluster.Settings.SocketTimeout, token).ConfigureAwait(false);
    }

    private TimeSpan CoordinatorBackoff(int failures) => CoordinatorBackoff(failures, _options.RebalanceBackoff);

    /// <summary>Errors no retry can fix: the member fails and stops.</summary>
    private static bool IsFatal(Exception exception) => exception switch
    {
        KafkaVersionException or KafkaAuthenticationException => true,
        KafkaBrokerException broker => IsFatalError(broker.ErrorCode) || !KafkaErrors.IsRetriable(broker.ErrorCode),
        _ => false,
    };

    /// <summary>Heartbeat answers that mean the member cannot take part as configured.</summary>
    private static bool IsFatalError(KafkaErrorCode error) => error is KafkaErrorCode.GroupAuthorizationFailed
        or KafkaErrorCode.TopicAuthorizationFailed or KafkaErrorCode.UnsupportedAssignor or KafkaErrorCode.InvalidRequest
        or KafkaErrorCode.GroupMaxSizeReached or KafkaErrorCode.InvalidRegularExpression or KafkaErrorCode.UnreleasedInstanceId
        or KafkaErrorCode.UnsupportedVersion or KafkaErrorCode.InvalidGroupId or KafkaErrorCode.FencedInstanceId;

    // ---- stopping ----

    protected override void OnStopping() => _heartbeatWake.Set();

    /// <summary>Revokes (commits unless failed), tells the coordinator the member leaves, closes the connection.</summary>
    protected override async Task LeaveAsync(bool failed, CancellationToken cancellationToken)
    {
        await RevokeAsync(lost: failed, LeaveReason).ConfigureAwait(false);
        int epoch;
        lock (_lock)
        {
            epoch = _epoch;
        }
        if (!failed && WasStarted && epoch > 0)
        {
            await SendLeaveAsync(cancellationToken).ConfigureAwait(false);
        }
        await DropCoordinatorAsync().ConfigureAwait(false);
        await _connectionLifetime.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Leaves with epoch -1, so the coordinator hands the partitions out at once; a static member leaves with -2 and
    /// keeps its assignment for the session timeout, so that a restart moves nothing.
    /// </summary>
    private async Task SendLeaveAsync(CancellationToken cancellationToken)
    {
        var isStatic = _options.GroupInstanceId is not null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Cluster.Settings.SocketTimeout);
            var coordinator = _coordinator ?? await DiscoverCoordinatorAsync(timeout.Token).ConfigureAwait(false)
                ?? throw new KafkaException("No coordinator.", isRetriable: true);
            var response = await SendAsync(coordinator, new ConsumerGroupHeartbeatRequest
            {
                GroupId = GroupId,
                MemberId = MemberId,
                MemberEpoch = isStatic ? ConsumerGroupHeartbeatRequest.StaticLeaveEpoch : ConsumerGroupHeartbeatRequest.LeaveEpoch,
                InstanceId = _options.GroupInstanceId,
            }, timeout.Token).ConfigureAwait(false);
            Log.Left(Logger, GroupId, MemberId, KafkaErrors.GetName(response.ErrorCode));
        }
        catch (Exception ex)
        {
            Log.LeaveFailed(Logger, GroupId, MemberId, ex.Message);
        }
    }

    private sealed record PendingAssignment(int Epoch, IReadOnlyList<TopicIdPartitions> Assignment);

    private sealed class Coordinator(Broker broker, ConnectionSlot slot)
    {
        public Broker Broker { get; } = broker;

        public ConnectionSlot Slot { get; } = slot;

        public bool Logged { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(270, LogLevel.Information, "Group {GroupId}: member '{MemberId}' is in the group at epoch {Epoch} through {Coordinator} (consumer protocol)")]
        public static partial void Joined(ILogger logger, string groupId, string memberId, int epoch, string coordinator);

        [LoggerMessage(271, LogLevel.Information, "Group {GroupId}: epoch {Epoch}: {PartitionCount} partitions ({Added} added, {Revoked} revoked)")]
        public static partial void Reconciled(ILogger logger, string groupId, int epoch, int partitionCount, int added, int revoked);

        [LoggerMessage(272, LogLevel.Warning, "Group {GroupId}: member '{MemberId}' at epoch {Epoch} was answered {Error}; its partitions are lost and it joins again")]
        public static partial void Fenced(ILogger logger, string groupId, string memberId, int epoch, string error);

        [LoggerMessage(273, LogLevel.Warning, "Group {GroupId}: heartbeat to {Coordinator} failed; looking for the coordinator again: {Reason}")]
        public static partial void HeartbeatFailed(ILogger logger, string groupId, string coordinator, string reason);

        [LoggerMessage(274, LogLevel.Warning, "Group {GroupId}: coordinator lookup failed: {Reason}")]
        public static partial void CoordinatorLookupFailed(ILogger logger, string groupId, string reason);

        [LoggerMessage(275, LogLevel.Warning, "Group {GroupId}: the assignment names topic id {TopicId}, which the metadata does not have yet")]
        public static partial void UnknownTopicId(ILogger logger, string groupId, Guid topicId);

        [LoggerMessage(276, LogLevel.Warning, "Group {GroupId}: reconciling the assignment failed; trying again: {Reason}")]
        public static partial void ReconcileFailed(ILogger logger, string groupId, string reason);

        [LoggerMessage(277, LogLevel.Warning, "Group {GroupId}: topic '{Topic}' is not available yet: {Reason}")]
        public static partial void TopicUnavailable(ILogger logger, string groupId, string topic, string reason);

        [LoggerMessage(278, LogLevel.Information, "Group {GroupId}: member '{MemberId}' left ({Error})")]
        public static partial void Left(ILogger logger, string groupId, string memberId, string error);

        [LoggerMessage(279, LogLevel.Warning, "Group {GroupId}: member '{MemberId}' could not tell the coordinator it leaves: {Reason}")]
        public static partial void LeaveFailed(ILogger logger, string groupId, string memberId, string reason);
    }
}
