using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Groups;

/// <summary>
/// One member of a Kafka consumer group (the classic, "eager" group protocol): it finds the group's coordinator,
/// joins, computes everyone's assignment when it is the leader, syncs, heartbeats, rejoins when the group
/// rebalances, and leaves when stopped. It owns no partitions itself: it tells its owner, through
/// <see cref="GroupMembershipCallbacks"/>, which partitions to give up and which to take.
/// </summary>
/// <remarks>
/// <para>
/// Two background loops run per member. The main loop discovers the coordinator, joins and syncs, and runs the
/// callbacks; the heartbeat loop sends a heartbeat every <see cref="GroupMembershipOptions.HeartbeatInterval"/>
/// while the member is in a generation, including while a callback runs, and tells the main loop when the group
/// rebalances, the generation is gone or the coordinator moved.
/// </para>
/// <para>
/// Group requests go over a connection of the member's own (traffic class <see cref="ConnectionKind.Group"/>) to
/// the coordinator: a broker handles one request per connection at a time, and a JoinGroup waits there until every
/// member has rejoined, so members sharing a connection would hold each other's joins and heartbeats back.
/// </para>
/// <para>
/// Stop the membership (or dispose it) before disposing the client: its connection belongs to it, not to the
/// client's brokers.
/// </para>
/// </remarks>
internal sealed partial class GroupMembership : GroupMembershipBase
{
    private const string LeaveReason = "the member is stopping";
    private static readonly TimeSpan JoinTimeoutMargin = TimeSpan.FromSeconds(5);

    private readonly string[] _topics;
    private readonly GroupMembershipOptions _options;
    private readonly Func<CancellationToken, Task<Broker>> _findCoordinator;
    private readonly CancellationTokenSource _connectionLifetime = new();

    private volatile CoordinatorConnection? _coordinator;
    private volatile CoordinatorConnection? _invalidCoordinator;
    private volatile HeartbeatTarget? _heartbeatTarget;
    private volatile KafkaException? _fatal;
    private volatile RejoinRequest? _rejoin;
    private volatile IReadOnlyDictionary<string, int>? _leaderTopicCounts;
    private volatile string _memberId = string.Empty;
    private volatile GroupMembershipState _state = GroupMembershipState.Created;
    private TaskCompletionSource _changed = NewSignal();
    private int _lastGenerationId = -1;
    private long _lastHeartbeatAcknowledged;

    /// <summary>Creates a member of <paramref name="groupId"/>; nothing happens until <see cref="GroupMembershipBase.StartAsync"/>.</summary>
    /// <param name="cluster">The cluster: metadata for the leader's partition counts, settings for connections.</param>
    /// <param name="groupId">The group to join.</param>
    /// <param name="topics">The topics this member subscribes to (at least one).</param>
    /// <param name="options">Timeouts, assignors, static membership and retries.</param>
    /// <param name="findCoordinator">
    /// Finds the group's coordinator (FindCoordinator); called at start and again whenever the coordinator moves or
    /// cannot be reached. A retriable <see cref="KafkaException"/> from it is retried with backoff.
    /// </param>
    /// <param name="callbacks">What to call as the assignment changes; none by default.</param>
    /// <param name="timeProvider">The clock for heartbeats and backoffs; the client's clock by default.</param>
    /// <exception cref="ArgumentException">The group id or topics are empty, or the options are invalid.</exception>
    public GroupMembership(
        Cluster cluster,
        string groupId,
        IReadOnlyList<string> topics,
        GroupMembershipOptions options,
        Func<CancellationToken, Task<Broker>> findCoordinator,
        GroupMembershipCallbacks? callbacks = null,
        TimeProvider? timeProvider = null)
        : base(cluster, groupId, callbacks, timeProvider, "Kafka.Client.GroupMembership")
    {
        _topics = CheckMemberArguments(topics, options, findCoordinator, regexMayStandIn: false);
        _options = options;
        _findCoordinator = findCoordinator;
    }

    /// <summary>The topics this member subscribes to, sorted.</summary>
    public IReadOnlyList<string> Topics => _topics;

    /// <summary>Where the membership is in its life.</summary>
    public GroupMembershipState State => _state;

    /// <summary>The current generation id, or -1 between generations.</summary>
    public int Generation => Current?.GenerationId ?? -1;

    /// <summary>The member id the coordinator gave this member; empty before the first join and after leaving.</summary>
    public override string MemberId => _memberId;

    /// <summary>The partitions this member owns in the current generation (empty between generations).</summary>
    public IReadOnlyList<TopicAndPartition> Assignment => Current?.Assignment ?? [];

    /// <summary>The group coordinator in use, or <see langword="null"/> while it is being looked for.</summary>
    public Broker? Coordinator => _coordinator?.Broker;

    private TimeSpan SocketTimeout => Cluster.Settings.SocketTimeout;

    // A JoinGroup may wait at the coordinator for a whole rebalance; so may a SyncGroup for the leader's assignment.
    private TimeSpan JoinTimeout => TimeSpan.FromTicks(Math.Max(SocketTimeout.Ticks, (_options.RebalanceTimeout + JoinTimeoutMargin).Ticks));

    /// <summary>Two loops: the main one (coordinator, join, sync, callbacks) and the heartbeats.</summary>
    protected override IEnumerable<Func<Task>> Loops() => [RunAsync, HeartbeatLoopAsync];

    protected override void OnStarting() => _state = GroupMembershipState.Joining;

    /// <summary>
    /// Waits for a generation newer than <paramref name="afterGenerationId"/> in which this member has its assignment.
    /// </summary>
    /// <exception cref="KafkaException">The membership failed or stopped first.</exception>
    public async Task<GroupGeneration> WaitForGenerationAsync(int afterGenerationId, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (Current is { } current && current.GenerationId > afterGenerationId && _state == GroupMembershipState.Stable)
            {
                return current;
            }
            if (_state is GroupMembershipState.Failed or GroupMembershipState.Stopping or GroupMembershipState.Stopped)
            {
                throw Failure ?? new KafkaException($"The membership of group '{GroupId}' stopped.");
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Makes the member rejoin the group (for example after its subscription changed). Its partitions are revoked
    /// first, as in any rebalance.
    /// </summary>
    public void RequestRejoin(string reason) => PostRejoin(_heartbeatTarget, lost: false, resetMemberId: false, reason);

    /// <summary>
    /// Tells the membership about a group error the owner met outside it (an offset commit answered
    /// ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID or NOT_COORDINATOR), so that it rejoins, rediscovers
    /// the coordinator or fails as a heartbeat with that error would make it.
    /// </summary>
    /// <remarks>
    /// REBALANCE_IN_PROGRESS is left to the heartbeat. A commit gets it while the members of a new generation are
    /// still syncing (Kafka's CompletingRebalance, where heartbeats are answered normally), and rejoining then would
    /// start another rebalance, whose first commit could do the same: members committing as soon as they are assigned
    /// would keep the group rebalancing. A rebalance that has really begun is answered to the next heartbeat.
    /// </remarks>
    public override void ReportGroupError(KafkaErrorCode error)
    {
        var target = _heartbeatTarget;
        switch (error)
        {
            case KafkaErrorCode.RebalanceInProgress:
                break;
            case KafkaErrorCode.IllegalGeneration:
                PostRejoin(target, lost: true, resetMemberId: false, "the generation is over");
                break;
            case KafkaErrorCode.UnknownMemberId:
                PostRejoin(target, lost: true, resetMemberId: true, "the coordinator does not know the member");
                break;
            case KafkaErrorCode.FencedInstanceId:
                PostFatal(new KafkaBrokerException(error,
                    $"Another member of group '{GroupId}' joined with group instance id '{_options.GroupInstanceId}': this one is fenced."));
                break;
            case KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable:
                PostCoordinatorInvalid(_coordinator);
                break;
        }
    }

    // ---- the main loop ----

    private async Task RunAsync()
    {
        var token = Stopping;
        var rejoinNeeded = true;
        var lost = false;
        var reason = "the member is starting";
        var failures = 0;
        var coordinatorFailures = 0;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (_fatal is { } fatal)
                {
                    await FailAsync(fatal).ConfigureAwait(false);
                    return;
                }
                if (TakeRejoinRequest() is { } request)
                {
                    rejoinNeeded = true;
                    lost |= request.Lost;
                    reason = request.Reason;
                    if (request.ResetMemberId)
                    {
                        _memberId = string.Empty;
                    }
                }
                if (lost)
                {
                    // The partitions may be someone else's already: give them up now, even if the coordinator is away.
                    await RevokeAsync(lost, reason).ConfigureAwait(false);
                    lost = false;
                }
                if (_invalidCoordinator is { } invalid && ReferenceEquals(invalid, _coordinator))
                {
                    await DropCoordinatorAsync("the coordinator could not be reached or moved").ConfigureAwait(false);
                }
                if (_coordinator is null && !await TryDiscoverCoordinatorAsync(coordinatorFailures + 1, token).ConfigureAwait(false))
                {
                    await DelaySafelyAsync(CoordinatorBackoff(++coordinatorFailures), token).ConfigureAwait(false);
                    continue;
                }
                if (!rejoinNeeded)
                {
                    await WaitForSignalAsync(token).ConfigureAwait(false);
                    continue;
                }

                await RevokeAsync(lost: false, reason).ConfigureAwait(false);
                switch (await JoinAndSyncAsync(reason, token).ConfigureAwait(false))
                {
                    case JoinOutcome.Joined:
                        rejoinNeeded = false;
                        failures = 0;
                        coordinatorFailures = 0;
                        break;
                    case JoinOutcome.RetryNow:
                        break;
                    case JoinOutcome.CoordinatorMoved:
                        await DropCoordinatorAsync("the coordinator moved").ConfigureAwait(false);
                        await DelayAsync(CoordinatorBackoff(++coordinatorFailures), token).ConfigureAwait(false);
                        break;
                    case JoinOutcome.Backoff:
                        await DelayAsync(CoordinatorBackoff(++coordinatorFailures), token).ConfigureAwait(false);
                        break;
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (IsFatal(ex))
            {
                await FailAsync(AsKafkaException(ex)).ConfigureAwait(false);
                return;
            }
            catch (KafkaException ex) when (ex.IsRetriable || ex is KafkaConnectionException or KafkaTimeoutException)
            {
                // The coordinator cannot be reached, timed out or answered a retriable error: look for it again.
                coordinatorFailures++;
                Log.CoordinatorRequestFailed(Logger, GroupId, _coordinator?.Broker.ToString() ?? "no coordinator", ex.Message);
                await DropCoordinatorAsync("its connection failed").ConfigureAwait(false);
                await DelaySafelyAsync(CoordinatorBackoff(coordinatorFailures), token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failures++;
                if (failures > _options.RebalanceMaxRetries)
                {
                    await FailAsync(new KafkaException(
                        $"Group '{GroupId}': joining failed {failures} times in a row; giving up. Last error: {ex.Message}", isRetriable: false, ex)).ConfigureAwait(false);
                    return;
                }
                var backoff = _options.RebalanceBackoff * failures;
                Log.JoinFailed(Logger, ex, GroupId, failures, _options.RebalanceMaxRetries, backoff.TotalMilliseconds);
                rejoinNeeded = true;
                await DelaySafelyAsync(backoff, token).ConfigureAwait(false);
            }
        }
    }

    private async Task<JoinOutcome> JoinAndSyncAsync(string reason, CancellationToken token)
    {
        var coordinator = _coordinator ?? throw new InvalidOperationException("No coordinator.");
        _heartbeatTarget = null; // Heartbeats stop during a join, as in the Java client.
        SetState(GroupMembershipState.Joining);

        var metadata = ConsumerProtocol.WriteSubscription(
            new ConsumerProtocolSubscription(_topics, UserData: null, OwnedPartitions: [], Volatile.Read(ref _lastGenerationId)));
        var protocols = new JoinGroupProtocol[_options.Assignors.Count];
        for (var i = 0; i < protocols.Length; i++)
        {
            protocols[i] = new JoinGroupProtocol(_options.Assignors[i].Name, metadata);
        }
        Log.Joining(Logger, GroupId, _memberId, coordinator.Broker.ToString(), reason);
        var joined = await SendAsync(coordinator, new JoinGroupRequest
        {
            GroupId = GroupId,
            SessionTimeoutMs = (int)_options.SessionTimeout.TotalMilliseconds,
            RebalanceTimeoutMs = (int)_options.RebalanceTimeout.TotalMilliseconds,
            MemberId = _memberId,
            GroupInstanceId = _options.GroupInstanceId,
            ProtocolType = ConsumerProtocol.ProtocolType,
            Protocols = protocols,
            Reason = reason,
        }, JoinTimeout, token).ConfigureAwait(false);

        switch (joined.ErrorCode)
        {
            case KafkaErrorCode.None:
                break;
            case KafkaErrorCode.MemberIdRequired:
                // KIP-394: the coordinator hands out the member id first; join again with it.
                _memberId = joined.MemberId;
                Log.MemberIdAssigned(Logger, GroupId, joined.MemberId);
                return JoinOutcome.RetryNow;
            case KafkaErrorCode.UnknownMemberId:
                _memberId = string.Empty;
                return JoinOutcome.RetryNow;
            case KafkaErrorCode.RebalanceInProgress:
                return JoinOutcome.RetryNow;
            case KafkaErrorCode.CoordinatorLoadInProgress:
                return JoinOutcome.Backoff;
            case KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable:
                return JoinOutcome.CoordinatorMoved;
            default:
                throw GroupError(ApiKey.JoinGroup, joined.ErrorCode);
        }

        _memberId = joined.MemberId;
        var assignor = FindAssignor(joined.ProtocolName);
        var isLeader = string.Equals(joined.Leader, joined.MemberId, StringComparison.Ordinal);
        IReadOnlyList<SyncGroupAssignment> assignments = [];
        _leaderTopicCounts = null;
        if (isLeader && !joined.SkipAssignment)
        {
            assignments = await AssignAsync(assignor, joined.Members, token).ConfigureAwait(false);
        }

        var synced = await SendAsync(coordinator, new SyncGroupRequest
        {
            GroupId = GroupId,
            GenerationId = joined.GenerationId,
            MemberId = joined.MemberId,
            GroupInstanceId = _options.GroupInstanceId,
            ProtocolType = ConsumerProtocol.ProtocolType,
            ProtocolName = assignor.Name,
            Assignments = assignments,
        }, JoinTimeout, token).ConfigureAwait(false);

        switch (synced.ErrorCode)
        {
            case KafkaErrorCode.None:
                break;
            case KafkaErrorCode.RebalanceInProgress or KafkaErrorCode.IllegalGeneration:
                return JoinOutcome.RetryNow;
            case KafkaErrorCode.UnknownMemberId:
                _memberId = string.Empty;
                return JoinOutcome.RetryNow;
            case KafkaErrorCode.CoordinatorLoadInProgress:
                return JoinOutcome.Backoff;
            case KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable:
                return JoinOutcome.CoordinatorMoved;
            default:
                throw GroupError(ApiKey.SyncGroup, synced.ErrorCode);
        }

        var partitions = OwnPartitions(ConsumerProtocol.ReadAssignment(synced.Assignment).Partitions);
        var generation = new GroupGeneration(joined.GenerationId, joined.MemberId, assignor.Name, joined.Leader, partitions);
        Volatile.Write(ref _lastGenerationId, generation.GenerationId);
        Interlocked.Exchange(ref _lastHeartbeatAcknowledged, Time.GetTimestamp());
        BeginGeneration(generation);
        _heartbeatTarget = new HeartbeatTarget(generation.GenerationId, generation.MemberId);
        SetState(GroupMembershipState.Stable);
        Log.Joined(Logger, GroupId, generation.GenerationId, generation.MemberId, generation.IsLeader, assignor.Name, partitions.Length);
        await InvokeAssignedAsync(generation).ConfigureAwait(false);
        return JoinOutcome.Joined;
    }

    /// <summary>The leader's part: decode every member's subscription, read partition counts, run the assignor.</summary>
    private async Task<IReadOnlyList<SyncGroupAssignment>> AssignAsync(
        IPartitionAssignor assignor, IReadOnlyList<JoinGroupMember> members, CancellationToken token)
    {
        var subscriptions = new List<GroupMemberSubscription>(members.Count);
        foreach (var member in members)
        {
            ConsumerProtocolSubscription? subscription = null;
            try
            {
                subscription = ConsumerProtocol.ReadSubscription(member.Metadata);
            }
            catch (KafkaProtocolException ex)
            {
                Log.BadSubscription(Logger, GroupId, member.MemberId, ex.Message);
            }
            subscriptions.Add(new GroupMemberSubscription(member.MemberId, subscription?.Topics ?? [], member.GroupInstanceId)
            {
                UserData = subscription?.UserData,
                OwnedPartitions = subscription?.OwnedPartitions ?? [],
            });
        }

        var topics = subscriptions.SelectMany(s => s.Topics).Distinct(StringComparer.Ordinal).ToArray();
        var counts = await PartitionCountsAsync(topics, token).ConfigureAwait(false);
        var result = assignor.Assign(subscriptions, counts);
        _leaderTopicCounts = counts;
        Log.Assigned(Logger, GroupId, assignor.Name, subscriptions.Count, topics.Length, counts.Values.Sum());

        var assignments = new SyncGroupAssignment[subscriptions.Count];
        for (var i = 0; i < assignments.Length; i++)
        {
            var memberId = subscriptions[i].MemberId;
            var partitions = result.TryGetValue(memberId, out var assigned) ? assigned : [];
            assignments[i] = new SyncGroupAssignment(memberId, ConsumerProtocol.WriteAssignment(new ConsumerProtocolAssignment(partitions)));
        }
        return assignments;
    }

    /// <summary>Fresh partition counts for the topics (created where the cluster allows); unknown topics are left out.</summary>
    private async Task<IReadOnlyDictionary<string, int>> PartitionCountsAsync(string[] topics, CancellationToken token)
    {
        await Task.WhenAll(topics.Select(async topic =>
        {
            try
            {
                await Cluster.FetchTopicAsync(topic, token).ConfigureAwait(false);
            }
            catch (KafkaException ex)
            {
                Log.TopicUnavailable(Logger, GroupId, topic, ex.Message);
            }
        })).ConfigureAwait(false);
        token.ThrowIfCancellationRequested();
        return CountsFromSnapshot(topics);
    }

    private Dictionary<string, int> CountsFromSnapshot(IEnumerable<string> topics)
    {
        var snapshot = Cluster.Snapshot;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var topic in topics)
        {
            if (snapshot.Topics.TryGetValue(topic, out var metadata) && metadata.ErrorCode == KafkaErrorCode.None && metadata.Partitions.Count > 0)
            {
                counts[topic] = metadata.Partitions.Count;
            }
        }
        return counts;
    }

    /// <summary>This member's share of the leader's assignment, sorted; partitions of topics it did not subscribe to are dropped.</summary>
    private TopicAndPartition[] OwnPartitions(IReadOnlyList<TopicAndPartition> assigned)
    {
        var own = new List<TopicAndPartition>(assigned.Count);
        foreach (var partition in assigned)
        {
            if (Array.BinarySearch(_topics, partition.Topic, StringComparer.Ordinal) >= 0)
            {
                own.Add(partition);
            }
            else
            {
                Log.UnsubscribedPartition(Logger, GroupId, partition.ToString());
            }
        }
        own.Sort();
        return [.. own.Distinct()];
    }

    private IPartitionAssignor FindAssignor(string? protocolName)
    {
        foreach (var assignor in _options.Assignors)
        {
            if (string.Equals(assignor.Name, protocolName, StringComparison.Ordinal))
            {
                return assignor;
            }
        }
        throw new KafkaBrokerException(KafkaErrorCode.InconsistentGroupProtocol,
            $"The coordinator of group '{GroupId}' chose protocol '{protocolName}', which this member did not offer ({string.Join(", ", _options.Assignors.Select(a => a.Name))}).");
    }

    protected override void OnGenerationEnded() => SetState(_state == GroupMembershipState.Stable ? GroupMembershipState.Joining : _state);

    protected override void OnFailing() => _heartbeatTarget = null;

    protected override void OnFailed() => SetState(GroupMembershipState.Failed);

    // ---- the coordinator ----

    /// <summary>One coordinator lookup: true when found; false (logged) when it failed in a way worth retrying.</summary>
    private async Task<bool> TryDiscoverCoordinatorAsync(int attempt, CancellationToken token)
    {
        try
        {
            var broker = await _findCoordinator(token).ConfigureAwait(false)
                ?? throw new KafkaException($"No coordinator was found for group '{GroupId}'.", isRetriable: true);
            var slot = new ConnectionSlot(broker, ConnectionKind.Group, Cluster.Settings, _connectionLifetime.Token);
            _coordinator = new CoordinatorConnection(broker, slot);
            Log.CoordinatorFound(Logger, GroupId, broker.ToString());
            return true;
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (!IsFatal(ex))
        {
            // Lookups are retried for as long as it takes: brokers come back.
            Log.CoordinatorLookupFailed(Logger, GroupId, attempt, ex.Message);
            return false;
        }
    }

    private async Task DropCoordinatorAsync(string why)
    {
        var coordinator = _coordinator;
        _coordinator = null;
        _invalidCoordinator = null;
        if (coordinator is not null)
        {
            Log.CoordinatorDropped(Logger, GroupId, coordinator.Broker.ToString(), why);
            await coordinator.Slot.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<T> SendAsync<T>(CoordinatorConnection coordinator, KafkaRequest<T> request, TimeSpan timeout, CancellationToken token)
    {
        var connection = await coordinator.Slot.GetAsync(token).ConfigureAwait(false);
        try
        {
            return await connection.SendAsync(request, timeout, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The broker will still answer the abandoned request; a LeaveGroup must not queue behind a parked join.
            coordinator.Abandoned = true;
            throw;
        }
    }

    private TimeSpan CoordinatorBackoff(int failures) => CoordinatorBackoff(failures, _options.RebalanceBackoff);

    // ---- signals between the loops ----

    private void PostRejoin(HeartbeatTarget? target, bool lost, bool resetMemberId, string reason)
    {
        while (true)
        {
            var existing = _rejoin;
            var merged = existing is null || !ReferenceEquals(existing.Target, target)
                ? new RejoinRequest(target, lost, resetMemberId, reason)
                : new RejoinRequest(target, existing.Lost || lost, existing.ResetMemberId || resetMemberId, existing.Reason);
            if (ReferenceEquals(Interlocked.CompareExchange(ref _rejoin, merged, existing), existing))
            {
                break;
            }
        }
        Wake();
    }

    /// <summary>The pending rejoin request, if it is about the generation the member is in (or about none).</summary>
    private RejoinRequest? TakeRejoinRequest()
    {
        var request = Interlocked.Exchange(ref _rejoin, null);
        if (request is null || (request.Target is not null && !ReferenceEquals(request.Target, _heartbeatTarget)))
        {
            return null;
        }
        return request;
    }

    private void PostCoordinatorInvalid(CoordinatorConnection? coordinator)
    {
        if (coordinator is not null)
        {
            _invalidCoordinator = coordinator;
            Wake();
        }
    }

    private void PostFatal(KafkaException error)
    {
        _fatal ??= error;
        Wake();
    }

    private async Task WaitForSignalAsync(CancellationToken token)
    {
        if (_rejoin is not null || _fatal is not null || (_invalidCoordinator is { } invalid && ReferenceEquals(invalid, _coordinator)))
        {
            return;
        }
        await WaitForWakeAsync(null, token).ConfigureAwait(false);
    }

    private void SetState(GroupMembershipState state)
    {
        if (_state is GroupMembershipState.Stopping or GroupMembershipState.Stopped
            && state is GroupMembershipState.Joining or GroupMembershipState.Stable or GroupMembershipState.Failed)
        {
            return; // The loops are winding down: stopping decides the final state.
        }
        _state = state;
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // ---- errors ----

    private KafkaBrokerException GroupError(ApiKey api, KafkaErrorCode error) =>
        new(error, $"Group '{GroupId}': {api} failed with {KafkaErrors.GetName(error)}: {KafkaErrors.GetDescription(error)}");

    /// <summary>Errors no retry can fix: the member fails and stops.</summary>
    private static bool IsFatal(Exception exception) => exception switch
    {
        KafkaVersionException or KafkaAuthenticationException => true,
        KafkaBrokerException broker => broker.ErrorCode is KafkaErrorCode.GroupAuthorizationFailed or KafkaErrorCode.FencedInstanceId
            or KafkaErrorCode.InvalidSessionTimeout or KafkaErrorCode.InconsistentGroupProtocol or KafkaErrorCode.InvalidGroupId
            or KafkaErrorCode.GroupMaxSizeReached or KafkaErrorCode.UnsupportedVersion or KafkaErrorCode.TopicAuthorizationFailed,
        _ => false,
    };

    private static KafkaException AsKafkaException(Exception exception) =>
        exception as KafkaException ?? new KafkaException(exception.Message, isRetriable: false, exception);

    // ---- stopping ----

    protected override void OnStopping() => SetState(GroupMembershipState.Stopping);

    /// <summary>Revokes (as lost after a failure), sends LeaveGroup (dynamic members), closes the connection; a failed membership keeps <see cref="GroupMembershipState.Failed"/>.</summary>
    protected override async Task LeaveAsync(bool failed, CancellationToken cancellationToken)
    {
        _heartbeatTarget = null;
        await RevokeAsync(lost: failed, LeaveReason).ConfigureAwait(false);
        if (!failed && WasStarted)
        {
            await SendLeaveGroupAsync(cancellationToken).ConfigureAwait(false);
        }
        _memberId = string.Empty;
        await DropCoordinatorAsync("the member stopped").ConfigureAwait(false);
        await _connectionLifetime.CancelAsync().ConfigureAwait(false);
        _state = failed ? GroupMembershipState.Failed : GroupMembershipState.Stopped;
        Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();
    }

    /// <summary>Sends LeaveGroup so the group rebalances now rather than after the session timeout.</summary>
    private async Task SendLeaveGroupAsync(CancellationToken cancellationToken)
    {
        var memberId = _memberId;
        if (memberId.Length == 0 || _options.GroupInstanceId is not null)
        {
            // A static member keeps its place until its session times out, so a restart does not rebalance.
            return;
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(SocketTimeout);
            var coordinator = _coordinator;
            if (coordinator is null)
            {
                await DiscoverCoordinatorOnceAsync(timeout.Token).ConfigureAwait(false);
                coordinator = _coordinator ?? throw new KafkaException("No coordinator.", isRetriable: true);
            }
            if (coordinator.Abandoned)
            {
                coordinator.Slot.CloseCurrent();
            }
            var response = await SendAsync(coordinator, new LeaveGroupRequest
            {
                GroupId = GroupId,
                Members = [new LeaveGroupMember(memberId, Reason: LeaveReason)],
            }, SocketTimeout, timeout.Token).ConfigureAwait(false);
            var error = response.ErrorCode != KafkaErrorCode.None
                ? response.ErrorCode
                : response.Members.FirstOrDefault(m => m.ErrorCode != KafkaErrorCode.None)?.ErrorCode ?? KafkaErrorCode.None;
            Log.Left(Logger, GroupId, memberId, KafkaErrors.GetName(error));
        }
        catch (Exception ex)
        {
            Log.LeaveFailed(Logger, GroupId, memberId, ex.Message);
        }
    }

    private async Task DiscoverCoordinatorOnceAsync(CancellationToken token)
    {
        var broker = await _findCoordinator(token).ConfigureAwait(false);
        if (broker is not null)
        {
            _coordinator = new CoordinatorConnection(broker, new ConnectionSlot(broker, ConnectionKind.Group, Cluster.Settings, _connectionLifetime.Token));
        }
    }

    // ---- types ----

    private enum JoinOutcome
    {
        Joined,
        RetryNow,
        Backoff,
        CoordinatorMoved,
    }

    /// <summary>The coordinator and this member's connection to it.</summary>
    private sealed class CoordinatorConnection(Broker broker, ConnectionSlot slot)
    {
        public Broker Broker { get; } = broker;

        public ConnectionSlot Slot { get; } = slot;

        /// <summary>A request on this connection was abandoned (cancelled while the broker held it).</summary>
        public volatile bool Abandoned;
    }

    /// <summary>The generation heartbeats are sent for; a new object per generation.</summary>
    private sealed class HeartbeatTarget(int generationId, string memberId)
    {
        public int GenerationId { get; } = generationId;

        public string MemberId { get; } = memberId;

        /// <summary>The session timed out locally; the rejoin was requested once.</summary>
        public volatile bool Expired;
    }

    private sealed record RejoinRequest(HeartbeatTarget? Target, bool Lost, bool ResetMemberId, string Reason);
}
