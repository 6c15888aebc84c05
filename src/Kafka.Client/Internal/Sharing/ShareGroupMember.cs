using Kafka.Client.Internal.Consuming;
using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Sharing;

/// <summary>
/// One member of a share group (KIP-932): a background loop that joins with ShareGroupHeartbeat (epoch 0), heartbeats
/// at the interval the coordinator asks for, learns the partitions the member shares (by topic id, resolved through
/// the cluster metadata), rejoins when fenced, and leaves with epoch -1. Unlike a consumer group there is nothing to
/// revoke or commit: the broker tracks every record's state, so an assignment change only changes where the member
/// fetches from.
/// </summary>
internal sealed partial class ShareGroupMember : IAsyncDisposable
{
    private readonly Cluster _cluster;
    private readonly string[] _topics;
    private readonly ShareConsumerOptions _options;
    private readonly OffsetsChannel _coordinators;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly AsyncSignal _heartbeatWake = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource _assignmentChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyList<ShareAssignedPartition> _assignment = [];
    private IReadOnlyList<TopicIdPartitions>? _lastAssignment;
    private bool _unresolved;
    private int _epoch;
    private bool _sendFull = true;
    private TimeSpan _interval = TimeSpan.FromSeconds(5);
    private ConnectionSlot? _slot;
    private Broker? _coordinator;
    private Task? _loop;
    private volatile KafkaException? _fatal;

    public ShareGroupMember(Cluster cluster, string groupId, string[] topics, ShareConsumerOptions options, ILogger logger)
    {
        _cluster = cluster;
        GroupId = groupId;
        _topics = topics;
        _options = options;
        _logger = logger;
        _time = cluster.Settings.TimeProvider;
        _coordinators = new OffsetsChannel(cluster, groupId, options.RetryBackoff, 0, logger);
        // The member names itself, once for its whole life (Kafka's Uuid text form), as Kafka 4.1's share consumers do.
        MemberId = Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public string GroupId { get; }

    public string MemberId { get; }

    /// <summary>The member's epoch (0 before it joined or after it was fenced).</summary>
    public int Epoch
    {
        get
        {
            lock (_lock)
            {
                return _epoch;
            }
        }
    }

    /// <summary>The partitions the member shares now, resolved to names.</summary>
    public IReadOnlyList<ShareAssignedPartition> Assignment
    {
        get
        {
            lock (_lock)
            {
                return _assignment;
            }
        }
    }

    /// <summary>Why the member stopped for good (an error no retry fixes), or null.</summary>
    public KafkaException? Fatal => _fatal;

    /// <summary>Completes when the assignment changes (or the member fails).</summary>
    public Task AssignmentChanged
    {
        get
        {
            lock (_lock)
            {
                return _assignmentChanged.Task;
            }
        }
    }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stopping.Token));

    private async Task RunAsync(CancellationToken token)
    {
        var failures = 0;
        foreach (var topic in _topics)
        {
            try
            {
                await _cluster.FetchTopicAsync(topic, token).ConfigureAwait(false);
            }
            catch (KafkaException ex)
            {
                Log.TopicUnavailable(_logger, GroupId, topic, ex.Message);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
        }
        while (!token.IsCancellationRequested)
        {
            try
            {
                var slot = await GetCoordinatorAsync(token).ConfigureAwait(false);
                var request = NextHeartbeat();
                var connection = await slot.GetAsync(token).ConfigureAwait(false);
                var response = await connection.SendAsync(request, _cluster.Settings.SocketTimeout, token).ConfigureAwait(false);
                if (Handle(request, response))
                {
                    if (failures > 0)
                    {
                        Log.Recovered(_logger, GroupId, failures);
                    }
                    failures = 0;
                    await ResolveIfNeededAsync(token).ConfigureAwait(false);
                    await _heartbeatWake.WaitAsync(_interval, _time, token).ConfigureAwait(false);
                    continue;
                }
                if (failures++ == 0)
                {
                    Log.HeartbeatFailed(_logger, GroupId, KafkaErrors.GetName(response.ErrorCode), response.ErrorMessage ?? KafkaErrors.GetDescription(response.ErrorCode));
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsFatal(ex))
            {
                Fail(ex as KafkaException ?? new KafkaException(ex.Message, isRetriable: false, ex));
                return;
            }
            catch (Exception ex)
            {
                if (failures++ == 0)
                {
                    Log.HeartbeatFailed(_logger, GroupId, ex.GetType().Name, ex.Message);
                }
                await DropCoordinatorAsync().ConfigureAwait(false);
            }
            try
            {
                await Task.Delay(Backoff(failures), _time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private ShareGroupHeartbeatRequest NextHeartbeat()
    {
        lock (_lock)
        {
            var request = new ShareGroupHeartbeatRequest { GroupId = GroupId, MemberId = MemberId, MemberEpoch = _epoch };
            if (_sendFull || _epoch == ShareGroupHeartbeatRequest.JoinEpoch)
            {
                request.SubscribedTopicNames = _topics;
                request.RackId = _options.RackId;
            }
            return request;
        }
    }

    /// <summary>Acts on an answer; false when the loop should back off.</summary>
    private bool Handle(ShareGroupHeartbeatRequest request, ShareGroupHeartbeatResponse response)
    {
        switch (response.ErrorCode)
        {
            case KafkaErrorCode.None:
                break;
            case KafkaErrorCode.FencedMemberEpoch or KafkaErrorCode.UnknownMemberId:
                Log.Fenced(_logger, GroupId, MemberId, request.MemberEpoch, KafkaErrors.GetName(response.ErrorCode));
                lock (_lock)
                {
                    _epoch = ShareGroupHeartbeatRequest.JoinEpoch;
                    _sendFull = true;
                    _lastAssignment = null;
                    SetAssignment([]);
                }
                return true;
            case KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable:
                _ = DropCoordinatorAsync();
                return false;
            default:
                if (IsFatalError(response.ErrorCode))
                {
                    throw new KafkaBrokerException(response.ErrorCode,
                        $"Share group '{GroupId}': ShareGroupHeartbeat failed with {KafkaErrors.GetName(response.ErrorCode)}: {response.ErrorMessage ?? KafkaErrors.GetDescription(response.ErrorCode)}");
                }
                return false;
        }
        if (response.HeartbeatIntervalMs > 0)
        {
            _interval = TimeSpan.FromMilliseconds(response.HeartbeatIntervalMs);
        }
        lock (_lock)
        {
            var joined = _epoch == ShareGroupHeartbeatRequest.JoinEpoch && response.MemberEpoch > 0;
            _epoch = response.MemberEpoch;
            _sendFull = false;
            // The coordinator may repeat an unchanged assignment in every answer; only a different one is taken up.
            if (response.Assignment is { } assignment && (_lastAssignment is null || !SameAssignment(_lastAssignment, assignment)))
            {
                _lastAssignment = assignment;
                _unresolved = true;
            }
            if (joined)
            {
                Log.Joined(_logger, GroupId, MemberId, response.MemberEpoch, _coordinator?.ToString() ?? "the coordinator");
            }
        }
        return true;
    }

    /// <summary>Turns the last assignment's topic ids into names; ids the metadata lacks wait for one refresh.</summary>
    private async Task ResolveIfNeededAsync(CancellationToken token)
    {
        IReadOnlyList<TopicIdPartitions> assignment;
        lock (_lock)
        {
            if (!_unresolved || _lastAssignment is null)
            {
                return;
            }
            assignment = _lastAssignment;
        }
        var names = _cluster.Snapshot.TopicNamesById();
        if (assignment.Any(t => !names.ContainsKey(t.TopicId)))
        {
            await _cluster.Metadata.WaitForRefreshAsync($"share group '{GroupId}' was assigned a topic id the metadata does not have", token).ConfigureAwait(false);
            names = _cluster.Snapshot.TopicNamesById();
        }
        var resolved = new List<ShareAssignedPartition>();
        var complete = true;
        foreach (var topic in assignment)
        {
            if (!names.TryGetValue(topic.TopicId, out var name))
            {
                complete = false;
                continue;
            }
            resolved.AddRange(topic.Partitions.Select(p => new ShareAssignedPartition(topic.TopicId, name, p)));
        }
        resolved.Sort();
        lock (_lock)
        {
            if (ReferenceEquals(assignment, _lastAssignment))
            {
                _unresolved = !complete;
                SetAssignment([.. resolved.Distinct()]);
            }
        }
        Log.Assigned(_logger, GroupId, resolved.Count);
    }

    // Under _lock.
    private void SetAssignment(IReadOnlyList<ShareAssignedPartition> assignment)
    {
        _assignment = assignment;
        var changed = _assignmentChanged;
        _assignmentChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private static bool SameAssignment(IReadOnlyList<TopicIdPartitions> a, IReadOnlyList<TopicIdPartitions> b)
    {
        static HashSet<(Guid, int)> Flatten(IReadOnlyList<TopicIdPartitions> topics) =>
            [.. topics.SelectMany(t => t.Partitions.Select(p => (t.TopicId, p)))];
        return Flatten(a).SetEquals(Flatten(b));
    }

    private void Fail(KafkaException error)
    {
        _fatal ??= error;
        Log.Failed(_logger, GroupId, error.Message);
        lock (_lock)
        {
            SetAssignment([]);
        }
    }

    private async Task<ConnectionSlot> GetCoordinatorAsync(CancellationToken token)
    {
        if (_slot is { } slot)
        {
            return slot;
        }
        var coordinator = await _coordinators.FindCoordinatorAsync(token).ConfigureAwait(false);
        _coordinator = coordinator;
        lock (_lock)
        {
            _sendFull = true;
        }
        // A connection of its own: a heartbeat must never wait behind another member's request.
        return _slot = new ConnectionSlot(coordinator, ConnectionKind.Group, _cluster.Settings, _stopping.Token);
    }

    private async Task DropCoordinatorAsync()
    {
        var slot = Interlocked.Exchange(ref _slot, null);
        if (slot is not null)
        {
            await slot.DisposeAsync().ConfigureAwait(false);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var backoff = _options.RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 10));
        return TimeSpan.FromMilliseconds(Math.Min(backoff, _options.RetryBackoff.TotalMilliseconds * 10));
    }

    private static bool IsFatal(Exception exception) => exception switch
    {
        KafkaVersionException or KafkaAuthenticationException => true,
        KafkaBrokerException broker => IsFatalError(broker.ErrorCode),
        _ => false,
    };

    private static bool IsFatalError(KafkaErrorCode error) => error is KafkaErrorCode.GroupAuthorizationFailed
        or KafkaErrorCode.TopicAuthorizationFailed or KafkaErrorCode.InvalidRequest or KafkaErrorCode.GroupMaxSizeReached
        or KafkaErrorCode.UnsupportedVersion or KafkaErrorCode.InvalidGroupId or KafkaErrorCode.InconsistentGroupProtocol
        or KafkaErrorCode.GroupIdNotFound;

    /// <summary>Stops heartbeating and tells the coordinator the member leaves (epoch -1), so its share is handed out at once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        _heartbeatWake.Set();
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
        if (Epoch > 0 && _fatal is null && _coordinator is { } coordinator)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_cluster.Settings.SocketTimeout, _time);
                var response = await coordinator.SendAsync(ConnectionKind.General, new ShareGroupHeartbeatRequest
                {
                    GroupId = GroupId,
                    MemberId = MemberId,
                    MemberEpoch = ShareGroupHeartbeatRequest.LeaveEpoch,
                }, timeout.Token).ConfigureAwait(false);
                Log.Left(_logger, GroupId, MemberId, KafkaErrors.GetName(response.ErrorCode));
            }
            catch (Exception ex) when (ex is KafkaException or OperationCanceledException)
            {
                Log.LeaveFailed(_logger, GroupId, MemberId, ex.Message);
            }
        }
        await DropCoordinatorAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(320, LogLevel.Information, "Share group {GroupId}: member '{MemberId}' joined at epoch {Epoch} through {Coordinator}")]
        public static partial void Joined(ILogger logger, string groupId, string memberId, int epoch, string coordinator);

        [LoggerMessage(321, LogLevel.Information, "Share group {GroupId}: the member now shares {PartitionCount} partitions")]
        public static partial void Assigned(ILogger logger, string groupId, int partitionCount);

        [LoggerMessage(322, LogLevel.Warning, "Share group {GroupId}: member '{MemberId}' at epoch {Epoch} was answered {Error}; it joins again")]
        public static partial void Fenced(ILogger logger, string groupId, string memberId, int epoch, string error);

        [LoggerMessage(323, LogLevel.Warning, "Share group {GroupId}: heartbeats are failing ({Error}: {Reason}); retrying, and logging again only once they work")]
        public static partial void HeartbeatFailed(ILogger logger, string groupId, string error, string reason);

        [LoggerMessage(324, LogLevel.Information, "Share group {GroupId}: heartbeats work again after {Failures} failures")]
        public static partial void Recovered(ILogger logger, string groupId, int failures);

        [LoggerMessage(325, LogLevel.Error, "Share group {GroupId}: the member stopped: {Reason}")]
        public static partial void Failed(ILogger logger, string groupId, string reason);

        [LoggerMessage(326, LogLevel.Warning, "Share group {GroupId}: topic '{Topic}' is not available yet: {Reason}")]
        public static partial void TopicUnavailable(ILogger logger, string groupId, string topic, string reason);

        [LoggerMessage(327, LogLevel.Information, "Share group {GroupId}: member '{MemberId}' left ({Error})")]
        public static partial void Left(ILogger logger, string groupId, string memberId, string error);

        [LoggerMessage(328, LogLevel.Warning, "Share group {GroupId}: member '{MemberId}' could not tell the coordinator it leaves: {Reason}")]
        public static partial void LeaveFailed(ILogger logger, string groupId, string memberId, string reason);
    }
}

/// <summary>A partition a share group member shares.</summary>
/// <param name="TopicId">The topic id.</param>
/// <param name="Topic">The topic's name.</param>
/// <param name="Partition">The partition.</param>
internal readonly record struct ShareAssignedPartition(Guid TopicId, string Topic, int Partition) : IComparable<ShareAssignedPartition>
{
    public int CompareTo(ShareAssignedPartition other)
    {
        var byTopic = string.CompareOrdinal(Topic, other.Topic);
        return byTopic != 0 ? byTopic : Partition.CompareTo(other.Partition);
    }
}
