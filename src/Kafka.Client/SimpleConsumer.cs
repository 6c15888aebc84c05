using Kafka.Client.Internal.Consuming;

namespace Kafka.Client;

/// <summary>
/// Consumes a topic's partitions (all, or those in <see cref="SimpleConsumerOptions.Partitions"/>) from their leaders,
/// without group membership (pykafka's <c>SimpleConsumer</c>, from <see cref="Topic.GetSimpleConsumer(SimpleConsumerOptions?)"/>).
/// With a <see cref="SimpleConsumerOptions.ConsumerGroup"/> it starts from the group's committed offsets and can
/// commit its own.
/// </summary>
/// <remarks>
/// <para>
/// The consumer starts at once in the background: it reads the group's committed offsets (or looks up
/// <see cref="ConsumerOptions.AutoOffsetReset"/>), then fetches every partition from its leader, one fetch loop
/// per leader broker, keeping up to <see cref="ConsumerOptions.QueuedMaxMessages"/> messages per partition ready.
/// A failure to start is raised by the next call, which tries again.
/// </para>
/// <para>
/// Offsets are Kafka's, as every other Kafka client reads them: a committed offset, <see cref="HeldOffsets"/> and
/// the offsets given to <see cref="ResetOffsetsAsync(IReadOnlyDictionary{int, long}, CancellationToken)"/> are all
/// "the offset of the next message to consume".
/// </para>
/// <para>
/// <see cref="ConsumeAsync"/> (and enumerating the consumer) is for one caller at a time. The other members may be
/// called concurrently with it. Messages' bytes are valid until the next <see cref="ConsumeAsync"/> call: see
/// <see cref="ConsumedMessage"/>.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await using var consumer = topic.GetSimpleConsumer(new SimpleConsumerOptions { ConsumerGroup = "billing" });
/// await foreach (var message in consumer.WithCancellation(ct))
/// {
///     Handle(message.Value.Span);
/// }
/// await consumer.CommitOffsetsAsync(ct);
/// </code>
/// </example>
public sealed class SimpleConsumer : IAsyncDisposable, IAsyncEnumerable<ConsumedMessage>
{
    private readonly SimpleConsumerOptions _options;
    private readonly ConsumerCore _core;
    private readonly Lock _lock = new();
    private readonly int[] _partitionIds;
    private Task _start;
    private int _disposed;

    internal SimpleConsumer(Topic topic, SimpleConsumerOptions options)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(
                $"Invalid consumer options:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}", nameof(options));
        }
        _options = options.Clone();
        Topic = topic;
        var all = topic.Partitions;
        var ids = _options.Partitions ?? [.. all.Keys.Order()];
        var partitions = new Dictionary<int, Partition>(ids.Count);
        foreach (var id in ids)
        {
            partitions[id] = all.TryGetValue(id, out var partition)
                ? partition
                : throw new ArgumentException($"Topic '{topic.Name}' has no partition {id} (it has {all.Count}).", nameof(options));
        }
        if (partitions.Count == 0)
        {
            throw new ArgumentException($"Topic '{topic.Name}' has no partitions in the cluster metadata to consume.", nameof(options));
        }
        Partitions = partitions;
        _partitionIds = [.. ids];

        _core = new ConsumerCore(topic.Cluster, _options, _options.ConsumerGroup, typeof(SimpleConsumer), "Kafka.Client.Consumer");
        _core.Engine.Assign(partitions.Values);
        _start = Task.Run(() => StartAsync(_core.Lifetime));
        if (_options.AutoCommitEnable)
        {
            _core.StartAutoCommit(token => Volatile.Read(ref _start).IsCompletedSuccessfully ? CommitChangedAsync(token) : Task.CompletedTask);
        }
    }

    /// <summary>The topic consumed.</summary>
    public Topic Topic { get; }

    /// <summary>The consumer group whose offsets are read and committed, or <see langword="null"/>.</summary>
    public string? ConsumerGroup => _options.ConsumerGroup;

    /// <summary>The partitions consumed, by id.</summary>
    public IReadOnlyDictionary<int, Partition> Partitions { get; }

    /// <summary>
    /// The offset of the next message to consume from each partition: what <see cref="CommitOffsetsAsync(CancellationToken)"/>
    /// commits. Partitions whose start position is still being looked up are absent. (pykafka's <c>held_offsets</c>
    /// gave the last offset consumed, one less.)
    /// </summary>
    public IReadOnlyDictionary<int, long> HeldOffsets => _core.Engine.GetPositions(Topic);

    /// <summary>
    /// How far behind the end of each partition the consumer is: the high watermark the latest fetch response reported
    /// minus the offset of the next message to consume (0 when caught up). Taken from the fetches the consumer makes
    /// anyway, with no extra request, so it is as fresh as the latest fetch of that partition; partitions not fetched
    /// yet are absent. Also measured as the <see cref="KafkaTelemetry.ConsumerLag"/> gauge.
    /// </summary>
    public IReadOnlyDictionary<int, long> Lag => _core.Engine.GetLag().Where(kv => ReferenceEquals(kv.Key.Topic, Topic)).ToDictionary(kv => kv.Key.Id, kv => kv.Value);

    /// <summary>How many fetched messages wait to be handed out, per partition (what tests and diagnostics look at).</summary>
    internal IReadOnlyDictionary<int, int> BufferedMessages => _core.Engine.GetBuffered(Topic);

    /// <summary>
    /// The next message, taking partitions round-robin; <see langword="null"/> when none arrives within
    /// <see cref="ConsumerOptions.ConsumerTimeout"/> (by default it waits until one does). Its bytes are valid
    /// until the next call (see <see cref="ConsumedMessage"/>).
    /// </summary>
    /// <exception cref="KafkaConsumeException">A partition cannot be consumed further (corrupt data, a refusal); the others go on.</exception>
    /// <exception cref="KafkaException">Starting failed (committed offsets or start offsets could not be read); the next call tries again.</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another ConsumeAsync call is still running.</exception>
    public ValueTask<ConsumedMessage?> ConsumeAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Volatile.Read(ref _start).IsCompletedSuccessfully
            ? _core.ConsumeAsync(cancellationToken)
            : ConsumeAfterStartAsync(cancellationToken);
    }

    private async ValueTask<ConsumedMessage?> ConsumeAfterStartAsync(CancellationToken cancellationToken)
    {
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        return await _core.ConsumeAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Up to <paramref name="maxMessages"/> messages at once, for consumers that handle messages in batches or want to
    /// read without allocating: waits until at least one message is there (or <see cref="ConsumerOptions.ConsumerTimeout"/>
    /// passes: then the batch is empty), then takes what is already fetched, a run of each partition's messages in
    /// turn. The batch is the consumer's own object, filled again by every call: it and its messages are valid until
    /// the next consume call (see <see cref="MessageBatch"/>). <see cref="HeldOffsets"/> moves past the whole batch.
    /// </summary>
    /// <param name="maxMessages">The most messages to return; at least 1.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    /// <exception cref="KafkaConsumeException">A partition cannot be consumed further; the others go on. It is raised by the first call that has no earlier message of that partition to return.</exception>
    /// <exception cref="KafkaException">Starting failed (committed offsets or start offsets could not be read); the next call tries again.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxMessages"/> is below 1.</exception>
    /// <exception cref="ObjectDisposedException">The consumer was disposed.</exception>
    /// <exception cref="InvalidOperationException">Another consume call is still running.</exception>
    public ValueTask<MessageBatch> ConsumeBatchAsync(int maxMessages, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessages);
        ThrowIfDisposed();
        return Volatile.Read(ref _start).IsCompletedSuccessfully
            ? _core.ConsumeBatchAsync(maxMessages, cancellationToken)
            : ConsumeBatchAfterStartAsync(maxMessages, cancellationToken);
    }

    private async ValueTask<MessageBatch> ConsumeBatchAfterStartAsync(int maxMessages, CancellationToken cancellationToken)
    {
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        return await _core.ConsumeBatchAsync(maxMessages, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Enumerates messages as <see cref="ConsumeAsync"/> returns them, ending when it returns <see langword="null"/> (a <see cref="ConsumerOptions.ConsumerTimeout"/>).</summary>
    public IAsyncEnumerator<ConsumedMessage> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new ConsumerEnumerator(ConsumeAsync, cancellationToken);

    /// <summary>
    /// Commits <see cref="HeldOffsets"/> (the next offset to consume of every partition) for the consumer group,
    /// retrying (and finding the group's coordinator again) up to <see cref="ConsumerOptions.OffsetsCommitMaxRetries"/> times.
    /// </summary>
    /// <exception cref="KafkaOffsetCommitException">The offsets were not stored.</exception>
    /// <exception cref="InvalidOperationException">The consumer has no <see cref="ConsumerGroup"/>.</exception>
    public async Task CommitOffsetsAsync(CancellationToken cancellationToken = default)
    {
        RequireGroup();
        ThrowIfDisposed();
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        await _core.CommitAsync(Keyed(HeldOffsets), CommitScope.Outside, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Commits the given offsets (each the offset of the next message to consume) for the consumer group.</summary>
    /// <exception cref="KafkaOffsetCommitException">The offsets were not stored.</exception>
    /// <exception cref="InvalidOperationException">The consumer has no <see cref="ConsumerGroup"/>.</exception>
    /// <exception cref="ArgumentException">A partition is not consumed by this consumer, or an offset is negative.</exception>
    public Task CommitOffsetsAsync(IReadOnlyDictionary<int, long> offsets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        RequireGroup();
        ThrowIfDisposed();
        foreach (var (id, offset) in offsets)
        {
            CheckPartition(id, nameof(offsets));
            if (offset < 0)
            {
                throw new ArgumentException($"Offset {offset} for partition {id} is negative; commit the offset of the next message to consume.", nameof(offsets));
            }
        }
        return _core.CommitAsync(Keyed(offsets), CommitScope.Outside, cancellationToken);
    }

    /// <summary>
    /// The group's committed offsets (the next offset to consume) for the consumer's partitions, -1 where the group has
    /// none. Reads only: unlike pykafka's <c>fetch_offsets</c> it does not move the consumer.
    /// </summary>
    /// <exception cref="KafkaOffsetCommitException">The offsets could not be read after the retries.</exception>
    /// <exception cref="InvalidOperationException">The consumer has no <see cref="ConsumerGroup"/>.</exception>
    public Task<IReadOnlyDictionary<int, long>> FetchOffsetsAsync(CancellationToken cancellationToken = default)
    {
        var channel = RequireGroup();
        ThrowIfDisposed();
        return channel.FetchAsync(Topic.Name, _partitionIds, cancellationToken);
    }

    /// <summary>
    /// Moves partitions so that the next message consumed from each is the one at the given offset (not the one after
    /// it, as pykafka's <c>reset_offsets</c> did). <see cref="OffsetType"/> values (-1 latest, -2 earliest) are looked
    /// up. Messages already fetched for these partitions are dropped. With a consumer group the new positions are
    /// committed, as pykafka did.
    /// </summary>
    /// <exception cref="ArgumentException">A partition is not consumed by this consumer, or an offset is below -2.</exception>
    public async Task ResetOffsetsAsync(IReadOnlyDictionary<int, long> offsets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(offsets);
        ThrowIfDisposed();
        var wanted = new Dictionary<Partition, long>(offsets.Count);
        foreach (var (id, offset) in offsets)
        {
            CheckPartition(id, nameof(offsets));
            if (offset < (long)OffsetType.Earliest)
            {
                throw new ArgumentException($"Offset {offset} for partition {id} is not an offset nor an OffsetType.", nameof(offsets));
            }
            wanted[Partitions[id]] = offset;
        }
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        await CommitAfterResetAsync(await _core.SeekAsync(wanted, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Moves every partition to its earliest or latest offset (see <see cref="ResetOffsetsAsync(IReadOnlyDictionary{int, long}, CancellationToken)"/>).</summary>
    public Task ResetOffsetsAsync(OffsetType offsetType, CancellationToken cancellationToken = default) =>
        ResetOffsetsAsync(offsetType, _partitionIds, cancellationToken);

    /// <summary>Moves the given partitions to their earliest or latest offset.</summary>
    public Task ResetOffsetsAsync(OffsetType offsetType, IEnumerable<int> partitionIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partitionIds);
        if (offsetType is not (OffsetType.Earliest or OffsetType.Latest))
        {
            throw new ArgumentOutOfRangeException(nameof(offsetType), offsetType, "Earliest or Latest.");
        }
        return ResetOffsetsAsync(partitionIds.Distinct().ToDictionary(id => id, _ => (long)offsetType), cancellationToken);
    }

    /// <summary>
    /// Moves every partition to the first message whose timestamp is at or after <paramref name="timestamp"/>
    /// (ListOffsets by time); partitions with no such message go to their latest offset.
    /// </summary>
    public Task ResetOffsetsAsync(DateTimeOffset timestamp, CancellationToken cancellationToken = default) =>
        ResetOffsetsAsync(timestamp, _partitionIds, cancellationToken);

    /// <summary>Moves the given partitions to the first message at or after <paramref name="timestamp"/> (the latest offset where there is none).</summary>
    public async Task ResetOffsetsAsync(DateTimeOffset timestamp, IEnumerable<int> partitionIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(partitionIds);
        ThrowIfDisposed();
        var ids = partitionIds.Distinct().ToList();
        foreach (var id in ids)
        {
            CheckPartition(id, nameof(partitionIds));
        }
        if (timestamp.ToUnixTimeMilliseconds() < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "Timestamps before 1970 cannot be looked up.");
        }
        await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
        var positions = await _core.SeekToTimeAsync(Topic, ids, timestamp, cancellationToken).ConfigureAwait(false);
        await CommitAfterResetAsync(positions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops fetching and, with <see cref="ConsumerOptions.AutoCommitEnable"/>, commits <see cref="HeldOffsets"/>
    /// (a failure is logged, not thrown: call <see cref="CommitOffsetsAsync(CancellationToken)"/> first to be told).
    /// Messages already returned become unreadable.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _core.StopAsync().ConfigureAwait(false);
        await _start.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // a failure was reported to the callers that waited for it
        await _core.Engine.DisposeAsync().ConfigureAwait(false);
        if (_options.AutoCommitEnable && _core.Offsets is { } offsets && _start.IsCompletedSuccessfully)
        {
            try
            {
                await CommitChangedAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (KafkaException ex)
            {
                ConsumerLog.FinalCommitFailed(_core.Logger, ex, offsets.GroupId);
            }
        }
        await _core.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override string ToString() => $"SimpleConsumer({Topic.Name}, {Partitions.Count} partitions{(ConsumerGroup is null ? "" : $", group {ConsumerGroup}")})";

    /// <summary>Looks up where each partition starts (the group's committed offsets, or AutoOffsetReset), then starts fetching.</summary>
    private async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var start = await _core.StartPositionsAsync([.. Partitions.Values], _options.ResetOffsetOnStart, CommitScope.Outside, commitFailureIsFatal: true, cancellationToken)
                .ConfigureAwait(false);
            _core.Engine.Seek(start);
        }
        catch (KafkaException ex)
        {
            ConsumerLog.StartFailed(_core.Logger, Topic.Name, ex.Message);
            throw;
        }
    }

    /// <summary>Waits for the start; a start that failed is tried again.</summary>
    private Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        Task start;
        lock (_lock)
        {
            start = _start;
            if ((start.IsFaulted || start.IsCanceled) && !_core.Lifetime.IsCancellationRequested)
            {
                _start = start = Task.Run(() => StartAsync(_core.Lifetime), CancellationToken.None);
            }
        }
        return start.IsCompletedSuccessfully ? Task.CompletedTask : start.WaitAsync(cancellationToken);
    }

    private Task CommitChangedAsync(CancellationToken cancellationToken) =>
        _core.CommitAsync(_core.Uncommitted(Keyed(HeldOffsets)), CommitScope.Outside, cancellationToken);

    private Task CommitAfterResetAsync(IReadOnlyDictionary<TopicAndPartition, long> positions, CancellationToken cancellationToken) =>
        _core.Offsets is null ? Task.CompletedTask : _core.CommitAsync(positions, CommitScope.Outside, cancellationToken);

    private Dictionary<TopicAndPartition, long> Keyed(IReadOnlyDictionary<int, long> offsets) =>
        offsets.ToDictionary(kv => new TopicAndPartition(Topic.Name, kv.Key), kv => kv.Value);

    private OffsetsChannel RequireGroup() =>
        _core.Offsets ?? throw new InvalidOperationException(
            $"The consumer of '{Topic.Name}' has no ConsumerGroup: offsets can only be committed or fetched for a group.");

    private void CheckPartition(int id, string parameter)
    {
        if (!Partitions.ContainsKey(id))
        {
            throw new ArgumentException($"Partition {id} of '{Topic.Name}' is not consumed by this consumer.", parameter);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
