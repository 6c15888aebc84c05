using Kafka.Client.Internal.Consuming;
using Kafka.Client.Internal.Groups;
using Microsoft.Extensions.Logging;

namespace Kafka.Client;

/// <summary>
/// A member of a consumer group that consumes the partitions the group gives it (pykafka's <c>BalancedConsumer</c>,
/// from <see cref="Topic.GetBalancedConsumer(string, BalancedConsumerOptions?)"/>). How the group shares out its
/// partitions depends on <see cref="BalancedConsumerOptions.Managed"/>: Kafka's group coordinator balances them
/// (the default; the consumer is then a <see cref="ManagedBalancedConsumer"/>), or the members balance them among
/// themselves through ZooKeeper, as pykafka's ZooKeeper-coordinated <c>BalancedConsumer</c> members do.
/// </summary>
/// <remarks>
/// <para>
/// The consumer joins the group at once in the background. Whenever its share changes it reads the group's
/// committed offsets of its partitions (<see cref="SimpleConsumerOptions.AutoOffsetReset"/> where there are none),
/// then fetches them. Before partitions are given up it stops fetching them and commits their offsets (unless the
/// membership was already lost): the offset of the message last returned by <see cref="ConsumeAsync"/> is not
/// counted as consumed until the next call, so a message in hand during a rebalance is delivered again to the
/// partition's next owner (at least once).
/// </para>
/// <para>
/// <see cref="ConsumeAsync"/> is for one caller at a time; the other members may be called concurrently with it.
/// </para>
/// </remarks>
public class BalancedConsumer : IAsyncDisposable, IAsyncEnumerable<ConsumedMessage>
{
    private readonly Cluster _cluster;
    private readonly BalancedConsumerOptions _options;
    private readonly FetchEngine _engine;
    private readonly OffsetsChannel _offsets;
    private readonly IGroupMembership _membership;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly CancellationTokenSource _stopConsuming = new();
    private readonly Lock _lock = new();
    private readonly Task _autoCommit = Task.CompletedTask;
    private Dictionary<TopicAndPartition, Partition> _owned = [];
    private IReadOnlyList<TopicAndPartition> _lastAssignment = [];
    private readonly Dictionary<TopicAndPartition, long> _lastCommitted = [];
    // With StoreOffsetsOnConsume off: the offsets the caller stored, which are what the consumer commits by itself.
    private readonly Dictionary<TopicAndPartition, long> _stored = [];
    private bool _autoCommitFailing;
    private readonly Dictionary<TopicAndPartition, long> _paused = [];
    private volatile GroupGeneration? _generation;
    private volatile KafkaException? _failure;
    // The first offset, per partition, of what the last consume call returned: not handled until the next call.
    private readonly Dictionary<TopicAndPartition, long> _inHand = [];
    private bool _started;
    private int _disposed;

    internal BalancedConsumer(Cluster cluster, IReadOnlyList<string> topics, string consumerGroup, BalancedConsumerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentException.ThrowIfNullOrEmpty(consumerGroup);
        options ??= new BalancedConsumerOptions();
        if (options.ConsumerGroup is { } named && !string.Equals(named, consumerGroup, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The options name consumer group '{named}' but the consumer is for group '{consumerGroup}'.", nameof(options));
        }
        var copy = (BalancedConsumerOptions)options.Clone();
        copy.ConsumerGroup = consumerGroup;
        var errors = copy.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(
                $"Invalid balanced consumer options:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}", nameof(options));
        }
        var names = topics.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (names.Length == 0 || Array.Exists(names, string.IsNullOrEmpty))
        {
            throw new ArgumentException("A balanced consumer consumes at least one topic, and topic names are not empty.", nameof(topics));
        }
        string? zooKeeperHosts = null;
        if (!copy.Managed)
        {
            if (names.Length != 1)
            {
                throw new ArgumentException(
                    $"A ZooKeeper-coordinated balanced consumer (Managed = false) consumes one topic, as pykafka's does; {names.Length} were given ({string.Join(", ", names)}).",
                    nameof(topics));
            }
            zooKeeperHosts = copy.ZooKeeperHosts ?? cluster.ZooKeeper?.ConnectString ?? throw new ArgumentException(
                "A ZooKeeper-coordinated balanced consumer (Managed = false) needs ZooKeeper: set BalancedConsumerOptions.ZooKeeperHosts or KafkaClientOptions.ZooKeeperHosts.",
                nameof(options));
        }
        _cluster = cluster;
        _options = copy;
        Topics = names;
        ConsumerGroup = consumerGroup;
        _logger = cluster.Settings.LoggerFactory.CreateLogger("Kafka.Client.BalancedConsumer");
        _engine = new FetchEngine(cluster, FetchSettings.From(copy, cluster.Settings), _logger);
        _offsets = new OffsetsChannel(cluster, consumerGroup, copy.OffsetsChannelBackoff, copy.OffsetsCommitMaxRetries, _logger);
        var callbacks = new GroupMembershipCallbacks
        {
            PartitionsAssigned = OnAssignedAsync,
            PartitionsRevoked = OnRevokedAsync,
            Failed = OnFailedAsync,
        };
        _membership = copy.Managed
            ? new GroupMembership(cluster, consumerGroup, names, new GroupMembershipOptions
            {
                SessionTimeout = copy.SessionTimeout,
                RebalanceTimeout = copy.RebalanceTimeout,
                HeartbeatInterval = copy.HeartbeatInterval,
                RebalanceBackoff = copy.RebalanceBackoff,
                RebalanceMaxRetries = copy.RebalanceMaxRetries,
                GroupInstanceId = copy.GroupInstanceId,
                Assignors = [copy.MembershipProtocol],
            }, _offsets.FindCoordinatorAsync, callbacks)
            : new ZooKeeperGroupMembership(cluster, consumerGroup, names[0], new ZooKeeperGroupOptions
            {
                ConnectString = zooKeeperHosts!,
                SessionTimeout = copy.ZooKeeperSessionTimeout,
                ProtocolName = copy.MembershipProtocol.Name,
                RebalanceBackoff = copy.RebalanceBackoff,
                RebalanceMaxRetries = copy.RebalanceMaxRetries,
            }, callbacks);
        _engine.Start();
        _ = _membership.StartAsync(CancellationToken.None);
        if (copy.AutoCommitEnable)
        {
            _autoCommit = Task.Run(() => AutoCommitAsync(_lifetime.Token), CancellationToken.None);
        }
    }

    /// <summary>The topics consumed, sorted.</summary>
    public IReadOnlyList<string> Topics { get; }

    /// <summary>The consumer group this member belongs to.</summary>
    public string ConsumerGroup { get; }

    /// <summary>The partitions this member owns and consumes in the current generation (empty while the group rebalances).</summary>
    public IReadOnlyList<TopicAndPartition> Assignment => _generation?.Assignment ?? [];

    /// <summary>
    /// This member's id in the group: the one Kafka's coordinator gave it (empty before the first join), or with
    /// ZooKeeper the consumer id it registered (<c>&lt;host name&gt;:&lt;uuid&gt;</c>, as pykafka's).
    /// </summary>
    public string MemberId => _membership.MemberId;

    /// <summary>Whether Kafka's group coordinator balances the group (<see cref="BalancedConsumerOptions.Managed"/>) rather than ZooKeeper.</summary>
    public bool IsManaged => _options.Managed;

    /// <summary>The generation the member is in, or <see langword="null"/> between generations.</summary>
    private protected GroupGeneration? CurrentGeneration => _generation;

    /// <summary>Why the group membership failed for good (fenced, not authorized, retries exhausted), or <see langword="null"/>.</summary>
    public KafkaException? Failure => _failure;

    /// <summary>
    /// The offset of the next message to consume from each partition owned in the current generation: what
    /// <see cref="CommitOffsetsAsync(CancellationToken)"/> commits unless <see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/>
    /// is off (then it commits <see cref="StoredOffsets"/>).
    /// </summary>
    public IReadOnlyDictionary<TopicAndPartition, long> HeldOffsets
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

    /// <summary>
    /// The offsets stored with <see cref="StoreOffset"/> for the partitions owned in the current generation (empty
    /// unless <see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/> is off).
    /// </summary>
    public IReadOnlyDictionary<TopicAndPartition, long> StoredOffsets
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<TopicAndPartition, long>(_stored);
            }
        }
    }

    /// <summary>
    /// The group's committed offset of each partition owned in the current generation, as this member last read it
    /// (when the partition was assigned) or committed it; partitions the group has no offset for are left out.
    /// </summary>
    public IReadOnlyDictionary<TopicAndPartition, long> CommittedOffsets
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<TopicAndPartition, long>(_lastCommitted);
            }
        }
    }

    /// <summary>
    /// Stores the offset of the next message to consume from <paramref name="partition"/> — every message before it is
    /// handled — as what the consumer commits by itself (automatically every <see cref="SimpleConsumerOptions.AutoCommitInterval"/>,
    /// before giving the partition up, when disposed) and what <see cref="CommitOffsetsAsync(CancellationToken)"/>
    /// commits. For consumers whose <see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/> is off; takes a lock,
    /// allocates nothing.
    /// </summary>
    /// <returns>Whether it was stored: <see langword="false"/> when this member does not own the partition (any more).</returns>
    /// <exception cref="InvalidOperationException"><see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/> is on.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative.</exception>
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

    /// <summary>
    /// The next message of the partitions this member owns; <see langword="null"/> when none arrives within
    /// <see cref="SimpleConsumerOptions.ConsumerTimeout"/>. Its bytes are valid until the next call (see
    /// <see cref="ConsumedMessage"/>). Calling again also tells the consumer that the previous message was handled:
    /// until then, a rebalance commits its partition's offset before it.
    /// </summary>
    /// <exception cref="KafkaConsumeException">A partition cannot be consumed further; the others go on.</exception>
    /// <exception cref="KafkaException">The group membership failed for good (see <see cref="Failure"/>).</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another ConsumeAsync call is still running.</exception>
    public async ValueTask<ConsumedMessage?> ConsumeAsync(CancellationToken cancellationToken = default)
    {
        var message = await TakeAsync(static (engine, timeout, _, token) => engine.ConsumeAsync(timeout, token), 1, cancellationToken).ConfigureAwait(false);
        if (message is not null && _options.StoreOffsetsOnConsume)
        {
            lock (_lock)
            {
                _inHand[new TopicAndPartition(message.Topic, message.PartitionId)] = message.Offset;
            }
        }
        return message;
    }

    /// <summary>
    /// Up to <paramref name="maxMessages"/> messages of the partitions this member owns, at once and without allocating
    /// (see <see cref="SimpleConsumer.ConsumeBatchAsync"/>); empty when none arrives within
    /// <see cref="SimpleConsumerOptions.ConsumerTimeout"/>. The batch is valid until the next consume call, and the whole
    /// batch counts as handled only then: until that call, a rebalance commits each of its partitions' offsets before
    /// the batch's first message of that partition.
    /// </summary>
    /// <exception cref="KafkaConsumeException">A partition cannot be consumed further; the others go on.</exception>
    /// <exception cref="KafkaException">The group membership failed for good (see <see cref="Failure"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxMessages"/> is below 1.</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another consume call is still running.</exception>
    public async ValueTask<MessageBatch> ConsumeBatchAsync(int maxMessages, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessages);
        var batch = await TakeAsync(static (engine, timeout, max, token) => engine.ConsumeBatchAsync(max, timeout, token), maxMessages, cancellationToken)
            .ConfigureAwait(false);
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
    private async ValueTask<T> TakeAsync<T>(
        Func<FetchEngine, TimeSpan, int, CancellationToken, ValueTask<T>> take, int maxMessages, CancellationToken cancellationToken)
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
            return await take(_engine, _options.ConsumerTimeout, maxMessages, linked?.Token ?? _stopConsuming.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ThrowIfFailed();
            ThrowIfDisposed();
            throw;
        }
    }

    /// <summary>Enumerates messages as <see cref="ConsumeAsync"/> returns them, ending when it returns <see langword="null"/>.</summary>
    public IAsyncEnumerator<ConsumedMessage> GetAsyncEnumerator(CancellationToken cancellationToken = default) => new Enumerator(this, cancellationToken);

    /// <summary>
    /// Commits <see cref="HeldOffsets"/>, or <see cref="StoredOffsets"/> when <see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/>
    /// is off (with a Kafka-managed group, with the current generation and member id; through
    /// ZooKeeper, as a group without Kafka members, as pykafka does). Does nothing while the group rebalances (the partitions given up were committed then).
    /// </summary>
    /// <exception cref="KafkaOffsetCommitException">The offsets were not stored (a refusal because the group moved on also makes the member rejoin).</exception>
    public Task CommitOffsetsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var generation = _generation;
        return generation is null ? Task.CompletedTask : CommitAsync(generation, OffsetsToCommit(), cancellationToken);
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

    /// <summary>
    /// Commits the given offsets (each the offset of the next message to consume), as <see cref="CommitOffsetsAsync(CancellationToken)"/>
    /// does. Partitions this member does not own in the current generation are left out (their owner commits
    /// them); nothing is committed while the group rebalances.
    /// </summary>
    /// <exception cref="KafkaOffsetCommitException">The offsets were not stored.</exception>
    /// <exception cref="ArgumentException">An offset is negative.</exception>
    public Task CommitOffsetsAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ThrowIfDisposed();
        foreach (var (partition, offset) in offsets)
        {
            if (offset < 0)
            {
                throw new ArgumentException($"Offset {offset} for {partition} is negative; commit the offset of the next message to consume.", nameof(offsets));
            }
        }
        var generation = _generation;
        return generation is null ? Task.CompletedTask : CommitAsync(generation, offsets, cancellationToken);
    }

    /// <summary>The group's committed offsets of the partitions this member owns, -1 where the group has none.</summary>
    /// <exception cref="KafkaOffsetCommitException">The offsets could not be read after the retries.</exception>
    public async Task<IReadOnlyDictionary<TopicAndPartition, long>> FetchOffsetsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var result = new Dictionary<TopicAndPartition, long>();
        foreach (var group in Assignment.GroupBy(p => p.Topic, StringComparer.Ordinal))
        {
            var committed = await _offsets.FetchAsync(group.Key, [.. group.Select(p => p.Partition)], cancellationToken).ConfigureAwait(false);
            foreach (var (id, offset) in committed)
            {
                result[new TopicAndPartition(group.Key, id)] = offset;
            }
        }
        return result;
    }

    /// <summary>
    /// Moves owned partitions so that the next message consumed from each is the one at the given offset
    /// (<see cref="OffsetType"/> values are looked up), and commits the new positions.
    /// </summary>
    /// <exception cref="ArgumentException">A partition is not owned by this member, or an offset is below -2.</exception>
    public async Task ResetOffsetsAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ThrowIfDisposed();
        var generation = _generation;
        Dictionary<TopicAndPartition, Partition> owned;
        lock (_lock)
        {
            owned = _owned;
        }
        foreach (var (partition, offset) in offsets)
        {
            if (!owned.ContainsKey(partition))
            {
                throw new ArgumentException($"{partition} is not owned by this member in the current generation.", nameof(offsets));
            }
            if (offset < -2)
            {
                throw new ArgumentException($"Offset {offset} for {partition} is not an offset nor an OffsetType.", nameof(offsets));
            }
        }
        var positions = await SeekAsync(owned, offsets, cancellationToken).ConfigureAwait(false);
        if (generation is not null)
        {
            await CommitAsync(generation, positions, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Moves every owned partition to its earliest or latest offset, and commits it.</summary>
    public Task ResetOffsetsAsync(OffsetType offsetType, CancellationToken cancellationToken = default)
    {
        if (offsetType is not (OffsetType.Earliest or OffsetType.Latest))
        {
            throw new ArgumentOutOfRangeException(nameof(offsetType), offsetType, "Earliest or Latest.");
        }
        return ResetOffsetsAsync(Assignment.ToDictionary(p => p, _ => (long)offsetType), cancellationToken);
    }

    /// <summary>
    /// Stops consuming owned partitions until <see cref="Resume"/> or the next rebalance: their fetched messages are
    /// dropped and their position is kept (for a partition whose message is in hand, that message's offset, so that
    /// it is consumed again on resume or by the partition's next owner). Partitions not owned are ignored.
    /// </summary>
    public void Pause(IEnumerable<TopicAndPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        ThrowIfDisposed();
        var stop = new List<Partition>();
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
                stop.Add(_owned[tp]);
            }
        }
        _engine.Unassign(stop);
    }

    /// <summary>Consumes paused partitions again, from where they were paused.</summary>
    public void Resume(IEnumerable<TopicAndPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
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
        _engine.Assign(resume.Select(kv => kv.Key));
        _engine.Seek(resume);
    }

    /// <summary>The owned partitions that are paused (see <see cref="Pause"/>).</summary>
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

    /// <summary>
    /// Stops fetching, commits the offsets of the owned partitions (the message in hand excluded), leaves the group
    /// (a static member stays, to come back) and closes its group connection. Calling it again does nothing.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _stopConsuming.CancelAsync().ConfigureAwait(false);
        try
        {
            await _autoCommit.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        await _membership.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _engine.DisposeAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"BalancedConsumer({string.Join(", ", Topics)}, group {ConsumerGroup}, ZooKeeper-coordinated)";

    // ---- membership callbacks ----

    private async Task OnAssignedAsync(GroupGeneration generation, CancellationToken cancellationToken)
    {
        var owned = await ResolveAsync(generation.Assignment, cancellationToken).ConfigureAwait(false);
        if (_options.Managed)
        {
            BalancedConsumerLog.Assigned(_logger, ConsumerGroup, generation.GenerationId, owned.Count, string.Join(", ", owned.Keys.Order()));
        }
        else
        {
            BalancedConsumerLog.Claimed(_logger, ConsumerGroup, owned.Count, string.Join(", ", owned.Keys.Order()));
        }
        lock (_lock)
        {
            _owned = owned;
        }
        _engine.Assign(owned.Values);
        var first = !_started;
        _started = true;
        Dictionary<TopicAndPartition, long> start;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                start = await StartOffsetsAsync(generation, owned, first && _options.ResetOffsetOnStart, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (KafkaException ex)
            {
                BalancedConsumerLog.StartOffsetsFailed(_logger, ConsumerGroup, generation.GenerationId, ex.Message);
                await Task.Delay(_options.RebalanceBackoff * Math.Min(attempt, 5), _cluster.Settings.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
        if (_options.PostRebalanceCallback is { } callback)
        {
            try
            {
                var chosen = await callback(_lastAssignment, generation.Assignment, cancellationToken).ConfigureAwait(false);
                if (chosen is { Count: > 0 })
                {
                    var wanted = chosen.Where(kv => owned.ContainsKey(kv.Key) && kv.Value >= -2).ToDictionary(kv => kv.Key, kv => kv.Value);
                    foreach (var (tp, offset) in await ResolveAsync(owned, wanted, cancellationToken).ConfigureAwait(false))
                    {
                        start[tp] = offset;
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                BalancedConsumerLog.CallbackFailed(_logger, ex, ConsumerGroup);
            }
        }
        if (_options.PartitionsAssigned is { } assigned)
        {
            try
            {
                await assigned([.. owned.Keys.Order()], cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                BalancedConsumerLog.PartitionsCallbackFailed(_logger, ex, ConsumerGroup, nameof(BalancedConsumerOptions.PartitionsAssigned));
            }
        }
        // Fetching starts here, once every partition's start is known.
        _engine.Seek(start.Select(kv => new KeyValuePair<Partition, long>(owned[kv.Key], kv.Value)));
        _lastAssignment = generation.Assignment;
        _generation = generation;
    }

    private async Task OnRevokedAsync(GroupGeneration generation, bool lost, CancellationToken cancellationToken)
    {
        Dictionary<TopicAndPartition, Partition> owned;
        lock (_lock)
        {
            owned = _owned;
        }
        BalancedConsumerLog.Revoked(_logger, ConsumerGroup, generation.GenerationId, owned.Count, lost);
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
        _engine.Unassign(owned.Values);
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
                BalancedConsumerLog.PartitionsCallbackFailed(_logger, ex, ConsumerGroup, lost ? nameof(BalancedConsumerOptions.PartitionsLost) : nameof(BalancedConsumerOptions.PartitionsRevoked));
            }
        }
        lock (_lock)
        {
            _owned = [];
        }
        _generation = null;
        if (!_options.StoreOffsetsOnConsume)
        {
            lock (_lock)
            {
                positions = _stored.Where(kv => owned.ContainsKey(kv.Key)
                        && (!_lastCommitted.TryGetValue(kv.Key, out var committed) || committed != kv.Value))
                    .ToDictionary(kv => kv.Key, kv => kv.Value);
            }
        }
        if (!lost && positions.Count > 0)
        {
            try
            {
                await CommitAsync(generation, positions, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is KafkaException || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                BalancedConsumerLog.RevokeCommitFailed(_logger, ConsumerGroup, ex.Message);
            }
        }
        lock (_lock)
        {
            _lastCommitted.Clear();
            _paused.Clear();
            _stored.Clear();
        }
    }

    private async Task OnFailedAsync(KafkaException error, CancellationToken cancellationToken)
    {
        BalancedConsumerLog.MembershipFailed(_logger, ConsumerGroup, error.Message);
        _failure = error;
        await _stopConsuming.CancelAsync().ConfigureAwait(false);
    }

    // ---- helpers ----

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
                try
                {
                    await _cluster.UpdateAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (KafkaException)
                {
                    // Reported below as an unknown partition.
                }
                partition = Find(tp);
            }
            if (partition is null)
            {
                BalancedConsumerLog.UnknownPartition(_logger, ConsumerGroup, tp.Topic, tp.Partition);
                continue;
            }
            owned[tp] = partition;
        }
        return owned;
    }

    private Partition? Find(TopicAndPartition tp) =>
        _cluster.Topics.TryGetValue(tp.Topic, out var topic) && topic.Partitions.TryGetValue(tp.Partition, out var partition) ? partition : null;

    private async Task<Dictionary<TopicAndPartition, long>> StartOffsetsAsync(
        GroupGeneration generation, Dictionary<TopicAndPartition, Partition> owned, bool ignoreCommitted, CancellationToken cancellationToken)
    {
        var start = new Dictionary<TopicAndPartition, long>(owned.Count);
        foreach (var group in owned.GroupBy(kv => kv.Value.Topic))
        {
            var topic = group.Key;
            var ids = group.Select(kv => kv.Key.Partition).ToArray();
            var known = new Dictionary<int, long>();
            if (!ignoreCommitted)
            {
                var committed = await _offsets.FetchAsync(topic.Name, ids, cancellationToken).ConfigureAwait(false);
                foreach (var (id, offset) in committed)
                {
                    if (offset >= 0)
                    {
                        known[id] = offset;
                        start[new TopicAndPartition(topic.Name, id)] = offset;
                    }
                }
                lock (_lock)
                {
                    foreach (var (id, offset) in known)
                    {
                        _lastCommitted[new TopicAndPartition(topic.Name, id)] = offset;
                    }
                }
            }
            var missing = ids.Where(id => !known.ContainsKey(id)).ToList();
            if (missing.Count > 0)
            {
                var resolved = await _cluster.Offsets.ListAsync(topic, missing, (long)_options.AutoOffsetReset, cancellationToken).ConfigureAwait(false);
                var offsets = resolved.ToDictionary(kv => new TopicAndPartition(topic.Name, kv.Key), kv => kv.Value);
                foreach (var (tp, offset) in offsets)
                {
                    start[tp] = offset;
                }
                if (_options.ResetOffsetOnFetch || ignoreCommitted)
                {
                    try
                    {
                        await CommitAsync(generation, offsets, cancellationToken).ConfigureAwait(false);
                    }
                    catch (KafkaOffsetCommitException ex)
                    {
                        // The positions are set; the next commit stores them.
                        BalancedConsumerLog.RevokeCommitFailed(_logger, ConsumerGroup, ex.Message);
                    }
                }
            }
        }
        return start;
    }

    /// <summary>Offsets as given, with OffsetType values (-1 latest, -2 earliest) looked up.</summary>
    private async Task<Dictionary<TopicAndPartition, long>> ResolveAsync(
        Dictionary<TopicAndPartition, Partition> owned, IReadOnlyDictionary<TopicAndPartition, long> offsets, CancellationToken cancellationToken)
    {
        var positions = offsets.Where(kv => kv.Value >= 0).ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var group in offsets.Where(kv => kv.Value < 0).GroupBy(kv => (owned[kv.Key].Topic, kv.Value)))
        {
            var (topic, type) = group.Key;
            var resolved = await _cluster.Offsets.ListAsync(topic, [.. group.Select(kv => kv.Key.Partition)], type, cancellationToken).ConfigureAwait(false);
            foreach (var (id, offset) in resolved)
            {
                positions[new TopicAndPartition(topic.Name, id)] = offset;
            }
        }
        return positions;
    }

    private async Task<Dictionary<TopicAndPartition, long>> SeekAsync(
        Dictionary<TopicAndPartition, Partition> owned, IReadOnlyDictionary<TopicAndPartition, long> offsets, CancellationToken cancellationToken)
    {
        var positions = new Dictionary<TopicAndPartition, long>();
        var direct = offsets.Where(kv => kv.Value >= 0).ToList();
        _engine.Seek(direct.Select(kv => new KeyValuePair<Partition, long>(owned[kv.Key], kv.Value)));
        foreach (var (partition, offset) in direct)
        {
            positions[partition] = offset;
        }
        foreach (var group in offsets.Where(kv => kv.Value < 0).GroupBy(kv => (owned[kv.Key].Topic, kv.Value)))
        {
            var (topic, type) = group.Key;
            var resolved = await _engine.SeekToAsync(topic, [.. group.Select(kv => kv.Key.Partition)], type, cancellationToken).ConfigureAwait(false);
            foreach (var (id, offset) in resolved)
            {
                positions[new TopicAndPartition(topic.Name, id)] = offset;
            }
        }
        return positions;
    }

    private Dictionary<TopicAndPartition, long> Positions(Dictionary<TopicAndPartition, Partition> owned)
    {
        var positions = new Dictionary<TopicAndPartition, long>(owned.Count);
        foreach (var topic in owned.Values.Select(p => p.Topic).Distinct())
        {
            foreach (var (id, offset) in _engine.GetPositions(topic))
            {
                var key = new TopicAndPartition(topic.Name, id);
                if (owned.ContainsKey(key))
                {
                    positions[key] = offset;
                }
            }
        }
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

    private async Task CommitAsync(GroupGeneration generation, IReadOnlyDictionary<TopicAndPartition, long> offsets, CancellationToken cancellationToken)
    {
        var owned = new HashSet<TopicAndPartition>(generation.Assignment);
        var skipped = offsets.Keys.Where(p => !owned.Contains(p)).ToList();
        if (skipped.Count > 0)
        {
            BalancedConsumerLog.CommitSkipped(_logger, ConsumerGroup, string.Join(", ", skipped));
        }
        foreach (var group in offsets.Where(kv => owned.Contains(kv.Key)).GroupBy(kv => kv.Key.Topic, StringComparer.Ordinal))
        {
            var byId = group.ToDictionary(kv => kv.Key.Partition, kv => kv.Value);
            try
            {
                await _offsets.CommitAsync(group.Key, byId, cancellationToken, generation.GenerationId, generation.MemberId, _options.GroupInstanceId)
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
            lock (_lock)
            {
                foreach (var (id, offset) in byId)
                {
                    _lastCommitted[new TopicAndPartition(group.Key, id)] = offset;
                }
            }
        }
    }

    private async Task AutoCommitAsync(CancellationToken cancellationToken)
    {
        var time = _cluster.Settings.TimeProvider;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.AutoCommitInterval, time, cancellationToken).ConfigureAwait(false);
                if (_generation is { } generation)
                {
                    var held = OffsetsToCommit();
                    Dictionary<TopicAndPartition, long> changed;
                    lock (_lock)
                    {
                        changed = held.Where(kv => !_lastCommitted.TryGetValue(kv.Key, out var last) || last != kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value);
                    }
                    if (changed.Count > 0)
                    {
                        await CommitAsync(generation, changed, cancellationToken).ConfigureAwait(false);
                    }
                    if (_autoCommitFailing)
                    {
                        _autoCommitFailing = false;
                        ConsumerLog.AutoCommitRecovered(_logger, ConsumerGroup);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (KafkaException ex)
            {
                // Once per streak: a coordinator that is down for minutes must not fill the log.
                if (!_autoCommitFailing)
                {
                    _autoCommitFailing = true;
                    ConsumerLog.AutoCommitFailed(_logger, ConsumerGroup, ex.Message);
                }
            }
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new KafkaException($"The membership of group '{ConsumerGroup}' failed: {failure.Message}", isRetriable: false, failure);
        }
    }

    private sealed class Enumerator(BalancedConsumer consumer, CancellationToken cancellationToken) : IAsyncEnumerator<ConsumedMessage>
    {
        private ConsumedMessage? _current;

        public ConsumedMessage Current => _current ?? throw new InvalidOperationException("MoveNextAsync has not returned true.");

        public async ValueTask<bool> MoveNextAsync()
        {
            _current = await consumer.ConsumeAsync(cancellationToken).ConfigureAwait(false);
            return _current is not null;
        }

        public ValueTask DisposeAsync() => default;
    }
}
