using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// What every consumer is made of, simple or balanced: the fetch engine, the group's offsets channel (when it has a
/// group) with the offsets last committed or read, the automatic commit loop, offset resets (offsets given, or
/// earliest/latest/by time looked up with ListOffsets) and where partitions start. The public consumers add only how
/// they get their partitions: given (<see cref="SimpleConsumer"/>) or assigned by a group (<see cref="GroupConsumer"/>).
/// </summary>
internal sealed class ConsumerCore : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicAndPartition, long> _committed = [];
    private readonly CancellationTokenSource _lifetime = new();
    private Task _autoCommit = Task.CompletedTask;
    private bool _autoCommitFailing; // the automatic commit loop's only

    /// <param name="cluster">The client's cluster.</param>
    /// <param name="options">The consumer's validated settings (a copy the consumer keeps).</param>
    /// <param name="group">The consumer group whose offsets are read and committed, or <see langword="null"/>.</param>
    /// <param name="owner">The public consumer type, named by <see cref="ObjectDisposedException"/>s.</param>
    /// <param name="logCategory">The consumer's log category.</param>
    public ConsumerCore(Cluster cluster, ConsumerOptions options, string? group, Type owner, string logCategory)
    {
        Cluster = cluster;
        Options = options;
        Logger = cluster.Settings.LoggerFactory.CreateLogger(logCategory);
        Engine = new FetchEngine(cluster, FetchSettings.From(options, cluster.Settings, group), Logger, owner);
        Offsets = group is null ? null : new OffsetsChannel(cluster, group, options.OffsetsChannelBackoff, options.OffsetsCommitMaxRetries, Logger);
        Engine.Start();
    }

    public Cluster Cluster { get; }

    public ConsumerOptions Options { get; }

    public ILogger Logger { get; }

    public FetchEngine Engine { get; }

    /// <summary>The group's offset storage, or <see langword="null"/> for a consumer without a group.</summary>
    public OffsetsChannel? Offsets { get; }

    public TimeProvider Time => Cluster.Settings.TimeProvider;

    /// <summary>Cancelled when the consumer stops (<see cref="StopAsync"/>).</summary>
    public CancellationToken Lifetime => _lifetime.Token;

    // ---- consuming

    public ValueTask<ConsumedMessage?> ConsumeAsync(CancellationToken cancellationToken) =>
        ConsumerTelemetry.IsTraced ? ConsumeTracedAsync(cancellationToken) : Engine.ConsumeAsync(Options.ConsumerTimeout, cancellationToken);

    public ValueTask<MessageBatch> ConsumeBatchAsync(int maxMessages, CancellationToken cancellationToken) =>
        ConsumerTelemetry.IsTraced
            ? ConsumeBatchTracedAsync(maxMessages, cancellationToken)
            : Engine.ConsumeBatchAsync(maxMessages, Options.ConsumerTimeout, cancellationToken);

    // With someone listening: each call that returns messages (or fails) gets its receive span, timed from the call's
    // start (Activity's own clock) and made once the messages, and so its links, are known.
    private async ValueTask<ConsumedMessage?> ConsumeTracedAsync(CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        ConsumedMessage? message;
        try
        {
            message = await Engine.ConsumeAsync(Options.ConsumerTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaException ex)
        {
            ConsumerTelemetry.Received(started, (ConsumedMessage?)null, Engine.Settings.Group, Cluster.Settings.ClientId, ex);
            throw;
        }
        ConsumerTelemetry.Received(started, message, Engine.Settings.Group, Cluster.Settings.ClientId, null);
        return message;
    }

    private async ValueTask<MessageBatch> ConsumeBatchTracedAsync(int maxMessages, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        MessageBatch batch;
        try
        {
            batch = await Engine.ConsumeBatchAsync(maxMessages, Options.ConsumerTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaException ex)
        {
            ConsumerTelemetry.Received(started, (MessageBatch?)null, Engine.Settings.Group, Cluster.Settings.ClientId, ex);
            throw;
        }
        ConsumerTelemetry.Received(started, batch, Engine.Settings.Group, Cluster.Settings.ClientId, null);
        return batch;
    }

    /// <summary>The next offset to deliver of each of <paramref name="partitions"/> whose position is known.</summary>
    public Dictionary<TopicAndPartition, long> Positions(IEnumerable<Partition> partitions)
    {
        var wanted = partitions.ToHashSet();
        var positions = new Dictionary<TopicAndPartition, long>(wanted.Count);
        foreach (var topic in wanted.Select(p => p.Topic).Distinct())
        {
            foreach (var (id, offset) in Engine.GetPositions(topic))
            {
                if (topic.Partitions.TryGetValue(id, out var partition) && wanted.Contains(partition))
                {
                    positions[new TopicAndPartition(topic.Name, id)] = offset;
                }
            }
        }
        return positions;
    }

    // ---- committed offsets

    /// <summary>The offsets this consumer last committed, or read as committed, by partition.</summary>
    public Dictionary<TopicAndPartition, long> Committed
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<TopicAndPartition, long>(_committed);
            }
        }
    }

    /// <summary>Those of <paramref name="offsets"/> that differ from what was last committed.</summary>
    public Dictionary<TopicAndPartition, long> Uncommitted(IReadOnlyDictionary<TopicAndPartition, long> offsets)
    {
        lock (_lock)
        {
            return offsets.Where(kv => !_committed.TryGetValue(kv.Key, out var last) || last != kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value);
        }
    }

    /// <summary>Forgets what was committed for some partitions (they were given up; the others stay).</summary>
    public void ForgetCommitted(IEnumerable<TopicAndPartition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                _committed.Remove(partition);
            }
        }
    }

    private void RecordCommitted(string topic, IEnumerable<KeyValuePair<int, long>> offsets)
    {
        lock (_lock)
        {
            foreach (var (id, offset) in offsets)
            {
                _committed[new TopicAndPartition(topic, id)] = offset;
            }
        }
    }

    /// <summary>
    /// Commits offsets (each the next offset to consume), one request per topic, as the member of
    /// <paramref name="scope"/>'s generation (or as a consumer outside the group's membership), and remembers them.
    /// </summary>
    /// <exception cref="KafkaOffsetCommitException">A topic's offsets were not stored (those of the topics before it were).</exception>
    public async Task CommitAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, CommitScope scope, CancellationToken cancellationToken)
    {
        var channel = Offsets ?? throw new InvalidOperationException("The consumer has no group to commit to.");
        foreach (var group in offsets.GroupBy(kv => kv.Key.Topic, StringComparer.Ordinal))
        {
            var byId = group.ToDictionary(kv => kv.Key.Partition, kv => kv.Value);
            var started = MessagingTelemetry.OperationDuration.Enabled ? Time.GetTimestamp() : 0;
            var span = ConsumerTelemetry.IsTraced ? ConsumerTelemetry.StartCommit(group.Key, byId, channel.GroupId, Cluster.Settings.ClientId) : null;
            try
            {
                await channel.CommitAsync(group.Key, byId, cancellationToken, scope.GenerationId, scope.MemberId, scope.GroupInstanceId).ConfigureAwait(false);
            }
            catch (Exception ex) when (started != 0 || span is not null)
            {
                if (span is not null)
                {
                    ConsumerTelemetry.End(span, ex);
                }
                if (started != 0)
                {
                    RecordCommit(group.Key, started, ex);
                }
                throw;
            }
            if (span is not null)
            {
                ConsumerTelemetry.End(span, null);
            }
            if (started != 0)
            {
                RecordCommit(group.Key, started, null);
            }
            RecordCommitted(group.Key, byId);
        }
    }

    /// <summary>A commit's duration (<c>messaging.client.operation.duration</c>, operation <c>commit</c>); <c>error.type</c> when it failed.</summary>
    private void RecordCommit(string topic, long started, Exception? error)
    {
        var tags = new System.Diagnostics.TagList
        {
            ClientTelemetry.SystemTag,
            MessagingTelemetry.CommitOperation,
            Cluster.Settings.ClientTag,
            { KafkaTelemetry.DestinationTag, topic },
            { KafkaTelemetry.ConsumerGroupTag, Offsets!.GroupId },
        };
        if (error is not null)
        {
            tags.Add(KafkaTelemetry.ErrorTypeTag, MessagingTelemetry.ErrorType(error));
        }
        MessagingTelemetry.OperationDuration.Record(Time.GetElapsedTime(started).TotalSeconds, in tags);
    }

    /// <summary>
    /// Commits <paramref name="round"/>'s offsets every <see cref="ConsumerOptions.AutoCommitInterval"/> until the
    /// consumer stops; a failure is logged once per streak of failures, and the recovery once.
    /// </summary>
    public void StartAutoCommit(Func<CancellationToken, Task> round) =>
        _autoCommit = Task.Run(() => AutoCommitAsync(round, _lifetime.Token), CancellationToken.None);

    private async Task AutoCommitAsync(Func<CancellationToken, Task> round, CancellationToken cancellationToken)
    {
        var group = Offsets?.GroupId ?? "(none)";
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Options.AutoCommitInterval, Time, cancellationToken).ConfigureAwait(false);
                await round(cancellationToken).ConfigureAwait(false);
                if (_autoCommitFailing)
                {
                    _autoCommitFailing = false;
                    ConsumerLog.AutoCommitRecovered(Logger, group);
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
                    ConsumerLog.AutoCommitFailed(Logger, group, ex.Message);
                }
            }
        }
    }

    // ---- positions: resets and starts

    /// <summary>Offsets as given, with <see cref="OffsetType"/> values (-1 latest, -2 earliest) looked up; nothing moves.</summary>
    public async Task<Dictionary<Partition, long>> ResolveAsync(IReadOnlyDictionary<Partition, long> offsets, CancellationToken cancellationToken)
    {
        var positions = offsets.Where(kv => kv.Value >= 0).ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var group in offsets.Where(kv => kv.Value < 0).GroupBy(kv => (kv.Key.Topic, kv.Value)))
        {
            var (topic, type) = group.Key;
            var resolved = await Cluster.Offsets.ListAsync(topic, [.. group.Select(kv => kv.Key.Id)], type, cancellationToken).ConfigureAwait(false);
            foreach (var (id, offset) in resolved)
            {
                positions[topic.Partitions[id]] = offset;
            }
        }
        return positions;
    }

    /// <summary>
    /// Moves partitions so that the next message delivered from each is the one at the given offset; <see cref="OffsetType"/>
    /// values are looked up. Buffered messages of those partitions are dropped.
    /// </summary>
    /// <returns>Where each partition now is.</returns>
    public async Task<Dictionary<TopicAndPartition, long>> SeekAsync(IReadOnlyDictionary<Partition, long> offsets, CancellationToken cancellationToken)
    {
        var direct = offsets.Where(kv => kv.Value >= 0).ToList();
        Engine.Seek(direct);
        var positions = direct.ToDictionary(kv => new TopicAndPartition(kv.Key.Topic.Name, kv.Key.Id), kv => kv.Value);
        foreach (var group in offsets.Where(kv => kv.Value < 0).GroupBy(kv => (kv.Key.Topic, kv.Value)))
        {
            var (topic, type) = group.Key;
            await SeekToAsync(topic, [.. group.Select(kv => kv.Key.Id)], type, positions, cancellationToken).ConfigureAwait(false);
        }
        return positions;
    }

    /// <summary>Moves partitions of <paramref name="topic"/> to the first message at or after a time (the latest offset where there is none).</summary>
    public async Task<Dictionary<TopicAndPartition, long>> SeekToTimeAsync(Topic topic, IReadOnlyCollection<int> partitionIds, DateTimeOffset timestamp, CancellationToken cancellationToken)
    {
        var positions = new Dictionary<TopicAndPartition, long>(partitionIds.Count);
        await SeekToAsync(topic, partitionIds, timestamp.ToUnixTimeMilliseconds(), positions, cancellationToken).ConfigureAwait(false);
        return positions;
    }

    private async Task SeekToAsync(Topic topic, IReadOnlyCollection<int> ids, long timestamp, Dictionary<TopicAndPartition, long> positions, CancellationToken cancellationToken)
    {
        foreach (var (id, offset) in await Engine.SeekToAsync(topic, ids, timestamp, cancellationToken).ConfigureAwait(false))
        {
            positions[new TopicAndPartition(topic.Name, id)] = offset;
        }
    }

    /// <summary>
    /// Where partitions start: the group's committed offsets (remembered as committed), or where there are none (or
    /// <paramref name="ignoreCommitted"/>, pykafka's reset_offset_on_start) the <see cref="ConsumerOptions.AutoOffsetReset"/>
    /// position, which is committed at once with <see cref="ConsumerOptions.ResetOffsetOnFetch"/> or when the committed
    /// ones are ignored. Nothing moves: the caller seeks when it is ready.
    /// </summary>
    /// <param name="partitions">The partitions to start.</param>
    /// <param name="ignoreCommitted">Whether to start every partition at <see cref="ConsumerOptions.AutoOffsetReset"/>.</param>
    /// <param name="scope">Who commits the chosen positions.</param>
    /// <param name="commitFailureIsFatal">Whether a failed commit of the chosen positions fails the start, or is only logged (the next commit stores them).</param>
    /// <param name="cancellationToken">Abandons the lookups.</param>
    /// <exception cref="KafkaException">The committed offsets or the reset positions could not be read.</exception>
    public async Task<Dictionary<Partition, long>> StartPositionsAsync(
        IReadOnlyCollection<Partition> partitions, bool ignoreCommitted, CommitScope scope, bool commitFailureIsFatal, CancellationToken cancellationToken)
    {
        var start = new Dictionary<Partition, long>(partitions.Count);
        foreach (var group in partitions.GroupBy(p => p.Topic))
        {
            var topic = group.Key;
            var ids = group.Select(p => p.Id).ToArray();
            var known = new Dictionary<int, long>();
            if (Offsets is not null && !ignoreCommitted)
            {
                // A KIP-848 member names itself and its epoch (OffsetFetch v9), as its commits do; classic members do not.
                var fetched = scope.IsConsumerProtocolMember
                    ? await Offsets.FetchAsync(topic.Name, ids, cancellationToken, scope.MemberId, scope.GenerationId).ConfigureAwait(false)
                    : await Offsets.FetchAsync(topic.Name, ids, cancellationToken).ConfigureAwait(false);
                foreach (var (id, offset) in fetched)
                {
                    if (offset >= 0)
                    {
                        known[id] = offset;
                        start[topic.Partitions[id]] = offset;
                    }
                }
                RecordCommitted(topic.Name, known);
            }
            var missing = ids.Where(id => !known.ContainsKey(id)).ToList();
            if (missing.Count == 0)
            {
                continue;
            }
            var resolved = await Cluster.Offsets.ListAsync(topic, missing, (long)Options.AutoOffsetReset, cancellationToken).ConfigureAwait(false);
            foreach (var (id, offset) in resolved)
            {
                start[topic.Partitions[id]] = offset;
            }
            if (Offsets is not null && (Options.ResetOffsetOnFetch || ignoreCommitted))
            {
                var chosen = resolved.ToDictionary(kv => new TopicAndPartition(topic.Name, kv.Key), kv => kv.Value);
                try
                {
                    await CommitAsync(chosen, scope, cancellationToken).ConfigureAwait(false);
                }
                catch (KafkaOffsetCommitException ex) when (!commitFailureIsFatal)
                {
                    BalancedConsumerLog.RevokeCommitFailed(Logger, Offsets.GroupId, ex.Message);
                }
            }
        }
        return start;
    }

    // ---- lifetime

    /// <summary>Stops the automatic commits (waiting for one in progress); the engine keeps its buffers until disposed.</summary>
    public async Task StopAsync()
    {
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _autoCommit.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Stops, then ends the fetch loops and releases every buffer.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await Engine.DisposeAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }
}

/// <summary>Who a commit is made as: a member of a generation, or a consumer outside the group's membership (generation -1).</summary>
internal readonly record struct CommitScope(int GenerationId, string MemberId, string? GroupInstanceId, bool IsConsumerProtocolMember = false)
{
    /// <summary>A simple consumer, or pykafka's ZooKeeper-coordinated members, which Kafka knows no member of.</summary>
    public static readonly CommitScope Outside = new(-1, string.Empty, null);
}
