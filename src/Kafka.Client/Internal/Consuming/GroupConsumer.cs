using Kafka.Client.Internal.Groups;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// The machinery behind a <see cref="BalancedConsumer"/>: a <see cref="ConsumerCore"/> whose partitions a group
/// membership (Kafka's group protocol, or pykafka's ZooKeeper layout) hands in and takes back. On each assignment it
/// resolves the partitions, reads where they start, runs the application's callbacks and starts fetching; before
/// partitions are given up it stops fetching them, runs the revoke callback and commits (unless they were lost). It
/// also keeps what the application stored, paused, and holds in hand (what the last consume call returned, not handled
/// until the next call).
/// </summary>
internal sealed class GroupConsumer : IAsyncDisposable
{
    private readonly BalancedConsumerOptions _options;
    private readonly ConsumerCore _core;
    private readonly IGroupMembership _membership;
    private readonly object _owner;
    private readonly CancellationTokenSource _stopConsuming = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicAndPartition, long> _stored = []; // with StoreOffsetsOnConsume off: what the application stored
    private readonly Dictionary<TopicAndPartition, long> _paused = [];
    private readonly Dictionary<TopicAndPartition, long> _inHand = []; // per partition, the first offset the last consume call returned
    private Dictionary<TopicAndPartition, Partition> _owned = [];
    private IReadOnlyList<TopicAndPartition> _lastAssignment = [];
    private volatile GroupGeneration? _generation;
    private volatile KafkaException? _failure;
    private bool _started;
    private int _disposed;

    /// <param name="cluster">The client's cluster.</param>
    /// <param name="topics">The topics, distinct and sorted.</param>
    /// <param name="group">The consumer group.</param>
    /// <param name="options">Validated options, a copy this consumer keeps.</param>
    /// <param name="zooKeeperHosts">With <see cref="BalancedConsumerOptions.Managed"/> off, the ZooKeeper ensemble to balance through.</param>
    /// <param name="owner">The public consumer, named by <see cref="ObjectDisposedException"/>s.</param>
    public GroupConsumer(Cluster cluster, IReadOnlyList<string> topics, string group, BalancedConsumerOptions options, string? zooKeeperHosts, object owner)
    {
        _options = options;
        _owner = owner;
        Group = group;
        _core = new ConsumerCore(cluster, options, group, owner.GetType(), "Kafka.Client.BalancedConsumer");
        var callbacks = new GroupMembershipCallbacks
        {
            PartitionsAssigned = OnAssignedAsync,
            PartitionsRevoked = OnRevokedAsync,
            Failed = OnFailedAsync,
        };
        var membershipOptions = new GroupMembershipOptions
        {
            SessionTimeout = options.SessionTimeout,
            RebalanceTimeout = options.RebalanceTimeout,
            HeartbeatInterval = options.HeartbeatInterval,
            RebalanceBackoff = options.RebalanceBackoff,
            RebalanceMaxRetries = options.RebalanceMaxRetries,
            GroupInstanceId = options.GroupInstanceId,
            Assignors = [options.MembershipProtocol],
            ServerAssignor = options.ServerAssignor,
            TopicRegex = options.TopicRegex,
        };
        _membership = !options.Managed
            ? new ZooKeeperGroupMembership(cluster, group, topics[0], new ZooKeeperGroupOptions
            {
                ConnectString = zooKeeperHosts!,
                SessionTimeout = options.ZooKeeperSessionTimeout,
                ProtocolName = options.MembershipProtocol.Name,
                RebalanceBackoff = options.RebalanceBackoff,
                RebalanceMaxRetries = options.RebalanceMaxRetries,
            }, callbacks)
            : options.GroupProtocol == GroupProtocol.Consumer
                ? new ConsumerGroupMembership(cluster, group, topics, membershipOptions, _core.Offsets!.FindCoordinatorAsync, callbacks)
                : new GroupMembership(cluster, group, topics, membershipOptions, _core.Offsets!.FindCoordinatorAsync, callbacks);
        _ = _membership.StartAsync(CancellationToken.None);
        if (options.AutoCommitEnable)
        {
            _core.StartAutoCommit(AutoCommitAsync);
        }
    }

    public string Group { get; }

    public string MemberId => _membership.MemberId;

    /// <summary>The generation the member is in, or <see langword="null"/> between generations.</summary>
    public GroupGeneration? Generation => _generation;

    public KafkaException? Failure => _failure;

    public IReadOnlyList<TopicAndPartition> Assignment => _generation?.Assignment ?? [];

    /// <summary>The next offset to consume of each owned partition (a paused one's: where it was paused).</summary>
    public Dictionary<TopicAndPartition, long> HeldOffsets
    {
        get
        {
            Dictionary<TopicAndPartition, Partition> owned;
            lock (_lock)
            {
                owned = _owned;
            }
            return Positions(owned);
        }
    }

    public Dictionary<TopicAndPartition, long> Lag =>
        _core.Engine.GetLag().ToDictionary(kv => new TopicAndPartition(kv.Key.Topic.Name, kv.Key.Id), kv => kv.Value);

    /// <summary>One owned partition's lag (see <see cref="Lag"/>), or <see langword="null"/> when it is not known; allocates nothing.</summary>
    public long? GetLag(TopicAndPartition partition)
    {
        Dictionary<TopicAndPartition, Partition> owned;
        lock (_lock)
        {
            owned = _owned; // replaced, never changed in place
        }
        if (!owned.TryGetValue(partition, out var owner))
        {
            return null;
        }
        var lag = _core.Engine.GetLag(owner);
        return lag >= 0 ? lag : null;
    }

    public Dictionary<TopicAndPartition, long> StoredOffsets
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<TopicAndPartition, long>(_stored);
            }
        }
    }

    public Dictionary<TopicAndPartition, long> CommittedOffsets => _core.Committed;

    public IReadOnlyList<TopicAndPartition> Paused
    {
        get
        {
            lock (_lock)
            {
                return [.. _paused.Keys.Order()];
            }
        }
    }

    public bool StoreOffset(TopicAndPartition partition, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (_options.StoreOffsetsOnConsume)
        {
            throw new InvalidOperationException("StoreOffset is for consumers whose StoreOffsetsOnConsume option is off; this one counts what it hands out as consumed.");
        }
        lock (_lock)
        {
            if (!_owned.ContainsKey(partition))
            {
                return false;
            }
            _stored[partition] = offset;
            return true;
        }
    }

    // ---- consuming

    public async ValueTask<ConsumedMessage?> ConsumeAsync(CancellationToken cancellationToken)
    {
        var message = await TakeAsync(static (core, _, token) => core.ConsumeAsync(token), 1, cancellationToken).ConfigureAwait(false);
        if (message is not null && _options.StoreOffsetsOnConsume)
        {
            lock (_lock)
            {
                _inHand[new TopicAndPartition(message.Topic, message.PartitionId)] = message.Offset;
            }
        }
        return message;
    }

    public async ValueTask<MessageBatch> ConsumeBatchAsync(int maxMessages, CancellationToken cancellationToken)
    {
        var batch = await TakeAsync(static (core, max, token) => core.ConsumeBatchAsync(max, token), maxMessages, cancellationToken).ConfigureAwait(false);
        if (!_options.StoreOffsetsOnConsume)
        {
            return batch;
        }
        lock (_lock)
        {
            var last = default(TopicAndPartition);
            foreach (var message in batch)
            {
                // A batch is runs of one partition after another, each in offset order: the first of a run is what counts.
                if (message.PartitionId != last.Partition || !ReferenceEquals(message.Topic, last.Topic))
                {
                    last = new TopicAndPartition(message.Topic, message.PartitionId);
                    _inHand.TryAdd(last, message.Offset);
                }
            }
        }
        return batch;
    }

    /// <summary>
    /// One consume call: what the previous call returned counts as handled from now on; disposal and a failed
    /// membership end the wait too (the caller's token is linked to theirs only when it can be cancelled).
    /// </summary>
    private async ValueTask<T> TakeAsync<T>(Func<ConsumerCore, int, CancellationToken, ValueTask<T>> take, int maxMessages, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        ThrowIfFailed();
        lock (_lock)
        {
            _inHand.Clear();
        }
        using var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopConsuming.Token) : null;
        try
        {
            return await take(_core, maxMessages, linked?.Token ?? _stopConsuming.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ThrowIfFailed();
            ThrowIfDisposed();
            throw;
        }
    }

    public IAsyncEnumerator<ConsumedMessage> GetAsyncEnumerator(CancellationToken cancellationToken) =>
        new ConsumerEnumerator(ConsumeAsync, cancellationToken);

    // ---- offsets

    public Task CommitOffsetsAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var generation = _generation;
        return generation is null ? Task.CompletedTask : CommitAsync(generation, OffsetsToCommit(), cancellationToken);
    }

    public Task CommitOffsetsAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var generation = _generation;
        return generation is null ? Task.CompletedTask : CommitAsync(generation, offsets, cancellationToken);
    }

    /// <summary>What the consumer commits by itself: its positions, or the stored offsets.</summary>
    private IReadOnlyDictionary<TopicAndPartition, long> OffsetsToCommit()
    {
        if (_options.StoreOffsetsOnConsume)
        {
            return HeldOffsets;
        }
        lock (_lock)
        {
            return _stored.Where(kv => _owned.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        }
    }

    public async Task<IReadOnlyDictionary<TopicAndPartition, long>> FetchOffsetsAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var result = new Dictionary<TopicAndPartition, long>();
        // A KIP-848 member names itself and its epoch, as its commits do.
        var member = _options.GroupProtocol == GroupProtocol.Consumer ? _generation : null;
        foreach (var group in Assignment.GroupBy(p => p.Topic, StringComparer.Ordinal))
        {
            var committed = member is { } current
                ? await _core.Offsets!.FetchAsync(group.Key, [.. group.Select(p => p.Partition)], cancellationToken, current.MemberId, current.GenerationId).ConfigureAwait(false)
                : await _core.Offsets!.FetchAsync(group.Key, [.. group.Select(p => p.Partition)], cancellationToken).ConfigureAwait(false);
            foreach (var (id, offset) in committed)
            {
                result[new TopicAndPartition(group.Key, id)] = offset;
            }
        }
        return result;
    }

    public async Task ResetOffsetsAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var generation = _generation;
        Dictionary<TopicAndPartition, Partition> owned;
        lock (_lock)
        {
            owned = _owned;
        }
        var wanted = new Dictionary<Partition, long>(offsets.Count);
        foreach (var (partition, offset) in offsets)
        {
            if (!owned.TryGetValue(partition, out var owner))
            {
                throw new ArgumentException($"{partition} is not owned by this member in the current generation.", nameof(offsets));
            }
            if (offset < (long)OffsetType.Earliest)
            {
                throw new ArgumentException($"Offset {offset} for {partition} is not an offset nor an OffsetType.", nameof(offsets));
            }
            wanted[owner] = offset;
        }
        var positions = await _core.SeekAsync(wanted, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var (tp, position) in positions)
            {
                if (_paused.ContainsKey(tp))
                {
                    _paused[tp] = position; // still paused, now held at the new position
                }
            }
        }
        if (generation is not null)
        {
            await CommitAsync(generation, positions, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Commits as a member of <paramref name="generation"/>: partitions it does not own in that generation are left out
    /// (their owner commits them); a refusal that means the group moved on is reported to the membership.
    /// </summary>
    private async Task CommitAsync(GroupGeneration generation, IReadOnlyDictionary<TopicAndPartition, long> offsets, CancellationToken cancellationToken)
    {
        var owned = new HashSet<TopicAndPartition>(generation.Assignment);
        var skipped = offsets.Keys.Where(p => !owned.Contains(p)).ToList();
        if (skipped.Count > 0)
        {
            BalancedConsumerLog.CommitSkipped(_core.Logger, Group, string.Join(", ", skipped));
        }
        var mine = offsets.Where(kv => owned.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        try
        {
            await _core.CommitAsync(mine, new CommitScope(generation.GenerationId, generation.MemberId, _options.GroupInstanceId), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (KafkaOffsetCommitException ex)
        {
            // REBALANCE_IN_PROGRESS is the heartbeat's to act on (see ReportGroupError); it must not hide another group error.
            var code = ex.FailedPartitions.Values.FirstOrDefault(e => OffsetsChannel.IsGroupError(e) && e != KafkaErrorCode.RebalanceInProgress);
            if (code != KafkaErrorCode.None)
            {
                _membership.ReportGroupError(code);
            }
            throw;
        }
    }

    private async Task AutoCommitAsync(CancellationToken cancellationToken)
    {
        if (_generation is { } generation)
        {
            var changed = _core.Uncommitted(OffsetsToCommit());
            if (changed.Count > 0)
            {
                await CommitAsync(generation, changed, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // ---- pausing

    public void Pause(IEnumerable<TopicAndPartition> partitions)
    {
        ThrowIfDisposed();
        var stop = new List<KeyValuePair<Partition, long>>();
        lock (_lock)
        {
            var wanted = partitions.Where(p => _owned.ContainsKey(p) && !_paused.ContainsKey(p)).Distinct().ToList();
            var positions = Positions(wanted.ToDictionary(p => p, p => _owned[p]));
            foreach (var tp in wanted)
            {
                if (!positions.TryGetValue(tp, out var position))
                {
                    continue; // no start position yet: it is looked up again on resume
                }
                if (_inHand.TryGetValue(tp, out var first) && position > first)
                {
                    position = first;
                }
                _paused[tp] = position;
                stop.Add(new KeyValuePair<Partition, long>(_owned[tp], position));
            }
        }
        _core.Engine.Pause(stop);
    }

    public void Resume(IEnumerable<TopicAndPartition> partitions)
    {
        ThrowIfDisposed();
        var resume = new List<KeyValuePair<Partition, long>>();
        lock (_lock)
        {
            foreach (var tp in partitions.Distinct())
            {
                if (_paused.Remove(tp, out var position) && _owned.TryGetValue(tp, out var partition))
                {
                    resume.Add(new KeyValuePair<Partition, long>(partition, position));
                }
            }
        }
        _core.Engine.Seek(resume, resume: true);
    }

    /// <summary>The owned partitions' positions: the engine's, or where a paused partition was paused.</summary>
    private Dictionary<TopicAndPartition, long> Positions(Dictionary<TopicAndPartition, Partition> owned)
    {
        var positions = _core.Positions(owned.Values);
        lock (_lock)
        {
            foreach (var (tp, offset) in _paused)
            {
                if (owned.ContainsKey(tp))
                {
                    positions[tp] = offset;
                }
            }
        }
        return positions;
    }

    // ---- the membership's callbacks

    /// <summary>
    /// Takes the partitions of <paramref name="generation"/> this member does not own yet (with the classic protocol,
    /// all of them: everything was revoked first); those it keeps go on being fetched untouched. A generation that adds
    /// nothing (a new member epoch) only replaces the one commits carry.
    /// </summary>
    private Task OnAssignedAsync(GroupGeneration generation, CancellationToken cancellationToken) =>
        TracedAsync(KafkaTelemetry.PartitionsAssignedSpan, generation, () => OnAssignedCoreAsync(generation, cancellationToken));

    private Task OnRevokedAsync(GroupGeneration generation, bool lost, CancellationToken cancellationToken) =>
        TracedAsync(lost ? KafkaTelemetry.PartitionsLostSpan : KafkaTelemetry.PartitionsRevokedSpan, generation,
            () => OnRevokedCoreAsync(generation, lost, cancellationToken));

    /// <summary>
    /// Runs a rebalance step under its span (when someone listens), so that its offset lookups, callbacks and commits
    /// are the span's children. The span must be current before the step starts: the step is passed unstarted.
    /// </summary>
    private Task TracedAsync(string name, GroupGeneration generation, Func<Task> step)
    {
        if (!ConsumerTelemetry.IsTraced)
        {
            return step();
        }
        return RunAsync();

        async Task RunAsync()
        {
            var span = ConsumerTelemetry.StartRebalance(name, Group, _core.Cluster.Settings.ClientId, generation.GenerationId, generation.Assignment.Count);
            try
            {
                await step().ConfigureAwait(false);
            }
            catch (Exception ex) when (span is not null)
            {
                ConsumerTelemetry.End(span, ex);
                throw;
            }
            if (span is not null)
            {
                ConsumerTelemetry.End(span, null);
            }
        }
    }

    private async Task OnAssignedCoreAsync(GroupGeneration generation, CancellationToken cancellationToken)
    {
        Dictionary<TopicAndPartition, Partition> kept;
        lock (_lock)
        {
            kept = _owned;
        }
        var fresh = generation.Assignment.Where(p => !kept.ContainsKey(p)).ToList();
        if (fresh.Count == 0 && _generation is not null && _options.GroupProtocol == GroupProtocol.Consumer)
        {
            _lastAssignment = generation.Assignment;
            _generation = generation;
            return;
        }
        var added = await ResolveAsync(fresh, cancellationToken).ConfigureAwait(false);
        if (MessagingTelemetry.Rebalances.Enabled)
        {
            MessagingTelemetry.Rebalances.Add(1, ClientTelemetry.SystemTag, _core.Cluster.Settings.ClientTag,
                new KeyValuePair<string, object?>(KafkaTelemetry.ConsumerGroupTag, Group));
        }
        var owned = new Dictionary<TopicAndPartition, Partition>(kept);
        foreach (var (tp, partition) in added)
        {
            owned[tp] = partition;
        }
        if (_options.Managed)
        {
            BalancedConsumerLog.Assigned(_core.Logger, Group, generation.GenerationId, owned.Count, string.Join(", ", added.Keys.Order()));
        }
        else
        {
            BalancedConsumerLog.Claimed(_core.Logger, Group, owned.Count, string.Join(", ", owned.Keys.Order()));
        }
        lock (_lock)
        {
            _owned = owned;
        }
        _core.Engine.Assign(added.Values);
        var first = !_started;
        _started = true;
        var scope = new CommitScope(generation.GenerationId, generation.MemberId, _options.GroupInstanceId,
            IsConsumerProtocolMember: _options.GroupProtocol == GroupProtocol.Consumer);
        Dictionary<Partition, long> start;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                start = await _core.StartPositionsAsync([.. added.Values], first && _options.ResetOffsetOnStart, scope, commitFailureIsFatal: false, cancellationToken)
                    .ConfigureAwait(false);
                break;
            }
            catch (KafkaException ex)
            {
                BalancedConsumerLog.StartOffsetsFailed(_core.Logger, Group, generation.GenerationId, ex.Message);
                await Task.Delay(_options.RebalanceBackoff * Math.Min(attempt, 5), _core.Time, cancellationToken).ConfigureAwait(false);
            }
        }
        await PostRebalanceAsync(generation, added, start, cancellationToken).ConfigureAwait(false);
        if (_options.PartitionsAssigned is { } assigned)
        {
            try
            {
                await assigned([.. added.Keys.Order()], cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                BalancedConsumerLog.PartitionsCallbackFailed(_core.Logger, ex, Group, nameof(BalancedConsumerOptions.PartitionsAssigned));
            }
        }
        // Fetching starts here, once every new partition's start is known.
        _core.Engine.Seek(start);
        _lastAssignment = generation.Assignment;
        _generation = generation;
    }

    /// <summary>pykafka's post_rebalance_callback: it may choose other start offsets for some partitions.</summary>
    private async Task PostRebalanceAsync(
        GroupGeneration generation, Dictionary<TopicAndPartition, Partition> owned, Dictionary<Partition, long> start, CancellationToken cancellationToken)
    {
        if (_options.PostRebalanceCallback is not { } callback)
        {
            return;
        }
        try
        {
            var chosen = await callback(_lastAssignment, generation.Assignment, cancellationToken).ConfigureAwait(false);
            if (chosen is { Count: > 0 })
            {
                var wanted = chosen.Where(kv => owned.ContainsKey(kv.Key) && kv.Value >= (long)OffsetType.Earliest)
                    .ToDictionary(kv => owned[kv.Key], kv => kv.Value);
                foreach (var (partition, offset) in await _core.ResolveAsync(wanted, cancellationToken).ConfigureAwait(false))
                {
                    start[partition] = offset;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            BalancedConsumerLog.CallbackFailed(_core.Logger, ex, Group);
        }
    }

    /// <summary>
    /// Gives up the partitions of <paramref name="generation"/> this member owns (with the classic protocol, all of
    /// them; with the consumer protocol, those that move): stops fetching them, runs the callback, commits them unless
    /// lost, and forgets them. The partitions it keeps are not touched.
    /// </summary>
    private async Task OnRevokedCoreAsync(GroupGeneration generation, bool lost, CancellationToken cancellationToken)
    {
        var given = new HashSet<TopicAndPartition>(generation.Assignment);
        Dictionary<TopicAndPartition, Partition> owned;
        lock (_lock)
        {
            owned = _owned.Where(kv => given.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        }
        BalancedConsumerLog.Revoked(_core.Logger, Group, generation.GenerationId, owned.Count, lost);
        var positions = Positions(owned);
        lock (_lock)
        {
            // The messages in hand are not handled yet: their partitions' next owners start with them.
            foreach (var (tp, first) in _inHand)
            {
                if (positions.TryGetValue(tp, out var position) && position > first)
                {
                    positions[tp] = first;
                }
            }
        }
        _core.Engine.Unassign(owned.Values);
        // The generation and the ownership stay current through the callback, so that it may still store and commit
        // what it finishes.
        var callback = lost ? _options.PartitionsLost : _options.PartitionsRevoked;
        if (callback is not null && owned.Count > 0)
        {
            try
            {
                await callback([.. owned.Keys.Order()], cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                BalancedConsumerLog.PartitionsCallbackFailed(_core.Logger, ex, Group, lost ? nameof(BalancedConsumerOptions.PartitionsLost) : nameof(BalancedConsumerOptions.PartitionsRevoked));
            }
        }
        lock (_lock)
        {
            _owned = _owned.Where(kv => !given.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
            var current = _generation;
            _generation = _owned.Count == 0 || current is null
                ? null
                : current with { Assignment = [.. current.Assignment.Where(p => !given.Contains(p))] };
        }
        if (!_options.StoreOffsetsOnConsume)
        {
            lock (_lock)
            {
                positions = _stored.Where(kv => owned.ContainsKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
            }
            positions = _core.Uncommitted(positions);
        }
        if (!lost && positions.Count > 0)
        {
            try
            {
                await CommitAsync(generation, positions, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is KafkaException || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                BalancedConsumerLog.RevokeCommitFailed(_core.Logger, Group, ex.Message);
            }
        }
        _core.ForgetCommitted(owned.Keys);
        lock (_lock)
        {
            foreach (var tp in given)
            {
                _paused.Remove(tp);
                _stored.Remove(tp);
            }
        }
    }

    private async Task OnFailedAsync(KafkaException error, CancellationToken cancellationToken)
    {
        BalancedConsumerLog.MembershipFailed(_core.Logger, Group, error.Message);
        _failure = error;
        await _stopConsuming.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>The assigned partitions this client knows; for one it does not, it waits for newer metadata once.</summary>
    private async Task<Dictionary<TopicAndPartition, Partition>> ResolveAsync(IReadOnlyList<TopicAndPartition> assignment, CancellationToken cancellationToken)
    {
        var owned = new Dictionary<TopicAndPartition, Partition>(assignment.Count);
        var refreshed = false;
        foreach (var tp in assignment)
        {
            var partition = Find(tp);
            if (partition is null && !refreshed)
            {
                refreshed = true;
                await _core.Cluster.Metadata.WaitForRefreshAsync($"group '{Group}' assigned {tp}, which the metadata does not have", cancellationToken)
                    .ConfigureAwait(false);
                partition = Find(tp);
            }
            if (partition is null)
            {
                BalancedConsumerLog.UnknownPartition(_core.Logger, Group, tp.Topic, tp.Partition);
                continue;
            }
            owned[tp] = partition;
        }
        return owned;
    }

    private Partition? Find(TopicAndPartition tp) =>
        _core.Cluster.Topics.TryGetValue(tp.Topic, out var topic) && topic.Partitions.TryGetValue(tp.Partition, out var partition) ? partition : null;

    // ---- lifetime

    /// <summary>
    /// Stops fetching, commits the owned partitions' offsets (through the revoke), leaves the group and closes its
    /// connection. Calling it again does nothing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _core.StopAsync().ConfigureAwait(false);
        await _stopConsuming.CancelAsync().ConfigureAwait(false);
        await _membership.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _core.DisposeAsync().ConfigureAwait(false);
    }

    public void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, _owner);

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new KafkaException($"The membership of group '{Group}' failed: {failure.Message}", isRetriable: false, failure);
        }
    }
}
