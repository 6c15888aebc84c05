using System.Runtime.CompilerServices;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// The consuming engine: a cursor per assigned partition, a fetch loop per leader broker (and lane) that fills the
/// cursors' buffers, and a maintenance loop that refreshes metadata and moves cursors to new leaders, and resets
/// partitions whose offset fell out of range. The consumer takes messages round-robin across partitions.
/// </summary>
/// <remarks>
/// <para>
/// The set of partitions can change at run time (<see cref="Assign"/>, <see cref="Unassign"/>), which is what a
/// group consumer needs on every rebalance; <see cref="Seek"/> moves positions. A fetch is accepted only if the cursor
/// it was planned from is unchanged (same version, same fetch loop), so a reset or a leader move never lets an
/// answer in flight deliver a message twice or skip one.
/// </para>
/// <para>
/// Message lifetime: messages are slices of pooled buffers leased by their chunk. A chunk is released at the start of
/// the <see cref="ConsumeAsync"/> call after the one that delivered its last message (or that found it dropped by a
/// reset), so a message's bytes are valid until the next call.
/// </para>
/// </remarks>
internal sealed class FetchEngine : IAsyncDisposable
{
    private const int MaxPooledReaders = 64;

    private readonly Lock _lock = new();
    private readonly Dictionary<Partition, PartitionCursor> _cursors = [];
    private readonly Dictionary<(Broker Broker, int Lane), FetchSource> _sources = [];
    private readonly Queue<PartitionCursor> _ready = new();
    private List<FetchChunk> _toRelease = [];
    private readonly MessageBatch _batch = new();
    private readonly List<FetchSource> _batchWakes = []; // the consumer's thread only (one caller at a time)
    private List<FetchChunk> _releasing = [];
    private readonly Lock _readerLock = new();
    private readonly Stack<RecordSetReader> _readers = new();
    private readonly AsyncSignal _dataArrived = new();
    private readonly AsyncSignal _maintenance = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<RecordSetReader> _returnReader;
    private Task _maintenanceLoop = Task.CompletedTask;
    private string? _metadataWanted; // why newer metadata is needed, until the maintenance loop asks the client for it
    private int _metadataChanged;
    private bool _disposed;
    private int _consuming;

    public FetchEngine(Cluster cluster, FetchSettings settings, ILogger logger)
    {
        Cluster = cluster;
        Settings = settings;
        Logger = logger;
        _returnReader = ReturnReader;
        cluster.MetadataChanged += OnMetadataChanged;
    }

    public Cluster Cluster { get; }

    public FetchSettings Settings { get; }

    public ILogger Logger { get; }

    public TimeProvider TimeProvider => Cluster.Settings.TimeProvider;

    /// <summary>Starts the maintenance loop; fetch loops start as partitions get positions and leaders.</summary>
    public void Start() => _maintenanceLoop = Task.Run(() => MaintainAsync(_stop.Token), CancellationToken.None);

    // ---------------------------------------------------------------- assignment and positions

    /// <summary>Adds partitions, without a position yet (they are fetched once <see cref="Seek"/> gives one).</summary>
    public void Assign(IEnumerable<Partition> partitions)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var partition in partitions)
            {
                if (!_cursors.ContainsKey(partition))
                {
                    var cursor = new PartitionCursor(partition, Settings.PartitionMaxBytes);
                    _cursors.Add(partition, cursor);
                    Rehome(cursor);
                }
            }
            if (_metadataWanted is not null)
            {
                _maintenance.Set(); // a partition without a known leader
            }
        }
    }

    /// <summary>Removes partitions: their buffered messages are dropped (their bytes stay valid until the next consume).</summary>
    public void Unassign(IEnumerable<Partition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                if (_cursors.Remove(partition, out var cursor))
                {
                    DropChunks(cursor);
                    cursor.Version++;
                    cursor.Source = null;
                }
            }
        }
    }

    /// <summary>The assigned partitions.</summary>
    public IReadOnlyList<Partition> Assigned
    {
        get
        {
            lock (_lock)
            {
                return [.. _cursors.Keys];
            }
        }
    }

    /// <summary>The next offset to deliver of each partition whose position is known.</summary>
    public Dictionary<int, long> GetPositions(Topic topic)
    {
        lock (_lock)
        {
            var positions = new Dictionary<int, long>(_cursors.Count);
            foreach (var cursor in _cursors.Values)
            {
                if (ReferenceEquals(cursor.Topic, topic) && cursor.Position >= 0)
                {
                    positions[cursor.Id] = cursor.Position;
                }
            }
            return positions;
        }
    }

    /// <summary>
    /// Makes each partition's next delivered message the one at the given offset: buffered messages are dropped and
    /// fetches in flight are ignored when they answer. A failed partition is fetched again.
    /// </summary>
    public void Seek(IEnumerable<KeyValuePair<Partition, long>> positions)
    {
        var wake = new List<FetchSource>();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var (partition, offset) in positions)
            {
                if (!_cursors.TryGetValue(partition, out var cursor))
                {
                    throw new ArgumentException($"Partition {partition} is not consumed by this consumer.", nameof(positions));
                }
                DropChunks(cursor);
                cursor.Version++;
                cursor.InFlight = false;
                cursor.State = CursorState.Fetchable;
                cursor.FetchOffset = offset;
                cursor.Position = offset;
                cursor.RetryAt = 0;
                cursor.MaxBytes = Settings.PartitionMaxBytes;
                if (cursor.Source is null)
                {
                    Rehome(cursor);
                }
                if (cursor.Source is { } source && !wake.Contains(source))
                {
                    wake.Add(source);
                }
            }
            if (_metadataWanted is not null)
            {
                _maintenance.Set();
            }
        }
        foreach (var source in wake)
        {
            source.Wake();
        }
    }

    /// <summary>
    /// Looks up offsets with ListOffsets (<paramref name="timestamp"/> is a time in ms, or -1 latest, -2 earliest) and
    /// seeks there. A timestamp after every message (the broker answers -1) seeks to the latest offset.
    /// </summary>
    public async Task<IReadOnlyDictionary<int, long>> SeekToAsync(Topic topic, IReadOnlyCollection<int> partitionIds, long timestamp, CancellationToken cancellationToken)
    {
        var offsets = new Dictionary<int, long>(await Cluster.Offsets.ListAsync(topic, partitionIds, timestamp, cancellationToken).ConfigureAwait(false));
        if (timestamp >= 0)
        {
            var none = offsets.Where(kv => kv.Value < 0).Select(kv => kv.Key).ToList();
            if (none.Count > 0)
            {
                var latest = await Cluster.Offsets.ListAsync(topic, none, ListOffsetsRequest.LatestTimestamp, cancellationToken).ConfigureAwait(false);
                foreach (var (id, offset) in latest)
                {
                    offsets[id] = offset;
                }
            }
        }
        Seek(offsets.Select(kv => new KeyValuePair<Partition, long>(topic.Partitions[kv.Key], kv.Value)));
        return offsets;
    }

    /// <summary>Moves a cursor to its partition's current leader (caller holds the lock).</summary>
    private void Rehome(PartitionCursor cursor)
    {
        var leader = cursor.Partition.Leader;
        if (ReferenceEquals(leader, cursor.Leader) && cursor.Source is not null)
        {
            return;
        }
        if (cursor.Leader is not null && leader is not null && !ReferenceEquals(cursor.Leader, leader))
        {
            ConsumerLog.LeaderMoved(Logger, cursor.Topic.Name, cursor.Id, cursor.Leader.Id, leader.Id);
        }
        cursor.Leader = leader;
        cursor.Version++;
        cursor.InFlight = false;
        if (leader is null)
        {
            cursor.Source = null;
            _metadataWanted ??= $"partition {cursor.Partition} has no known leader";
            return;
        }
        var key = (leader, cursor.Id % Settings.FetchersPerBroker);
        if (!_sources.TryGetValue(key, out var source))
        {
            source = new FetchSource(this, leader, key.Item2);
            _sources.Add(key, source);
            source.Start(_stop.Token);
        }
        cursor.Source = source;
        source.Wake();
    }

    private void DropChunks(PartitionCursor cursor)
    {
        while (cursor.Chunks.TryDequeue(out var chunk))
        {
            _toRelease.Add(chunk);
        }
        cursor.Buffered = 0;
    }

    // ---------------------------------------------------------------- consuming

    /// <summary>
    /// The next message, round-robin across partitions; <see langword="null"/> when none arrives within
    /// <paramref name="timeout"/> (negative: wait as long as it takes). A partition's error is thrown once, in order
    /// after its earlier messages. Not to be called concurrently with itself.
    /// </summary>
    public ValueTask<ConsumedMessage?> ConsumeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), typeof(SimpleConsumer));
        if (Interlocked.Exchange(ref _consuming, 1) != 0)
        {
            throw new InvalidOperationException("ConsumeAsync is already running: a consumer is consumed by one caller at a time.");
        }
        try
        {
            _batch.Reset();
            ReleaseDelivered();
            if (TryTake(out var message))
            {
                Volatile.Write(ref _consuming, 0);
                return new ValueTask<ConsumedMessage?>(message);
            }
            if (timeout == TimeSpan.Zero)
            {
                Volatile.Write(ref _consuming, 0);
                return new ValueTask<ConsumedMessage?>((ConsumedMessage?)null);
            }
        }
        catch
        {
            Volatile.Write(ref _consuming, 0);
            throw;
        }
        return WaitAndTakeAsync(timeout, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ConsumedMessage?> WaitAndTakeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var started = TimeProvider.GetTimestamp();
            while (await WaitForDataAsync(started, timeout, cancellationToken).ConfigureAwait(false))
            {
                if (TryTake(out var message))
                {
                    return message;
                }
            }
            return null;
        }
        finally
        {
            Volatile.Write(ref _consuming, 0);
        }
    }

    /// <summary>
    /// Waits until a fetch brings data or until <paramref name="timeout"/> (negative: no limit) has passed since
    /// <paramref name="started"/>; false when it has passed.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitForDataAsync(long started, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var wait = Timeout.InfiniteTimeSpan;
        if (timeout >= TimeSpan.Zero)
        {
            wait = timeout - TimeProvider.GetElapsedTime(started);
            if (wait <= TimeSpan.Zero)
            {
                return false;
            }
        }
        await _dataArrived.WaitAsync(wait, TimeProvider, cancellationToken).ConfigureAwait(false);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), typeof(SimpleConsumer));
        return true;
    }

    private bool TryTake(out ConsumedMessage? message)
    {
        FetchSource? wake = null;
        message = null;
        lock (_lock)
        {
            while (_ready.TryDequeue(out var cursor))
            {
                cursor.InReady = false;
                if (!cursor.Chunks.TryPeek(out var chunk))
                {
                    continue;
                }
                if (chunk.Error is { } error)
                {
                    cursor.Chunks.Dequeue();
                    _toRelease.Add(chunk);
                    Requeue(cursor);
                    throw error;
                }
                var taken = chunk.TryTake(out var record);
                if (taken)
                {
                    cursor.Position = record.Offset + 1;
                    if (--cursor.Buffered == Settings.QueuedMaxMessages - 1 && cursor.State == CursorState.Fetchable)
                    {
                        wake = cursor.Source;
                    }
                }
                if (chunk.Remaining == 0)
                {
                    cursor.Chunks.Dequeue();
                    cursor.Position = chunk.NextOffset;
                    _toRelease.Add(chunk);
                }
                Requeue(cursor);
                if (taken)
                {
                    message = new ConsumedMessage(cursor.Topic.Name, cursor.Id, in record, chunk);
                    break;
                }
            }
        }
        wake?.Wake();
        return message is not null;
    }

    /// <summary>
    /// Up to <paramref name="maxMessages"/> messages into the engine's batch, which is emptied first; an empty batch
    /// when none arrives within <paramref name="timeout"/>. The batch takes a run of each ready partition's messages in
    /// turn. A partition's error is thrown once, in order after its earlier messages: when the batch already holds
    /// messages, the error waits for the next call. Not to be called concurrently with itself or <see cref="ConsumeAsync"/>.
    /// </summary>
    public ValueTask<MessageBatch> ConsumeBatchAsync(int maxMessages, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessages);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), typeof(SimpleConsumer));
        if (Interlocked.Exchange(ref _consuming, 1) != 0)
        {
            throw new InvalidOperationException("ConsumeAsync is already running: a consumer is consumed by one caller at a time.");
        }
        try
        {
            _batch.Reset();
            ReleaseDelivered();
            if (TryTakeBatch(maxMessages) || timeout == TimeSpan.Zero)
            {
                Volatile.Write(ref _consuming, 0);
                return new ValueTask<MessageBatch>(_batch);
            }
        }
        catch
        {
            Volatile.Write(ref _consuming, 0);
            throw;
        }
        return WaitAndTakeBatchAsync(maxMessages, timeout, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<MessageBatch> WaitAndTakeBatchAsync(int maxMessages, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var started = TimeProvider.GetTimestamp();
            while (await WaitForDataAsync(started, timeout, cancellationToken).ConfigureAwait(false))
            {
                if (TryTakeBatch(maxMessages))
                {
                    break;
                }
            }
            return _batch; // empty when the timeout passed
        }
        finally
        {
            Volatile.Write(ref _consuming, 0);
        }
    }

    private bool TryTakeBatch(int maxMessages)
    {
        var batch = _batch;
        var wake = _batchWakes;
        lock (_lock)
        {
            // Rounds over the ready partitions, a run of each one's next chunk per round, until the batch is full or a
            // round finds nothing more. A partition whose next chunk is an error waits for the next call once the batch
            // holds messages, so the error still comes after them.
            var progress = true;
            while (progress && batch.Count < maxMessages)
            {
                progress = false;
                for (var round = _ready.Count; round > 0 && batch.Count < maxMessages && _ready.TryDequeue(out var cursor); round--)
                {
                    cursor.InReady = false;
                    if (!cursor.Chunks.TryPeek(out var chunk))
                    {
                        continue;
                    }
                    if (chunk.Error is { } error)
                    {
                        if (batch.Count > 0)
                        {
                            Requeue(cursor);
                            continue;
                        }
                        cursor.Chunks.Dequeue();
                        _toRelease.Add(chunk);
                        Requeue(cursor);
                        throw error;
                    }
                    var before = cursor.Buffered;
                    var topic = cursor.Topic.Name;
                    while (batch.Count < maxMessages && chunk.TryTake(out var record))
                    {
                        batch.Add(topic, cursor.Id, in record, chunk);
                        cursor.Position = record.Offset + 1;
                        cursor.Buffered--;
                        progress = true;
                    }
                    if (before >= Settings.QueuedMaxMessages && cursor.Buffered < Settings.QueuedMaxMessages
                        && cursor.State == CursorState.Fetchable && cursor.Source is { } source)
                    {
                        wake.Add(source);
                    }
                    if (chunk.Remaining == 0)
                    {
                        cursor.Chunks.Dequeue();
                        cursor.Position = chunk.NextOffset;
                        _toRelease.Add(chunk);
                        progress = true;
                    }
                    Requeue(cursor);
                }
            }
        }
        foreach (var source in wake)
        {
            source.Wake();
        }
        wake.Clear();
        return batch.Count > 0;
    }

    private void Requeue(PartitionCursor cursor)
    {
        if (cursor.Chunks.Count > 0 && !cursor.InReady)
        {
            cursor.InReady = true;
            _ready.Enqueue(cursor);
        }
    }

    /// <summary>Releases the chunks whose messages were all delivered before this call (the lifetime rule).</summary>
    private void ReleaseDelivered()
    {
        List<FetchChunk> releasing;
        lock (_lock)
        {
            if (_toRelease.Count == 0)
            {
                return;
            }
            releasing = _toRelease;
            _toRelease = _releasing;
            _releasing = releasing;
        }
        foreach (var chunk in releasing)
        {
            chunk.Release();
        }
        releasing.Clear();
    }

    /// <summary>Appends what a fetch brought to a cursor (caller holds the lock); true when there is something to consume.</summary>
    private bool Append(PartitionCursor cursor, FetchChunk chunk)
    {
        if (chunk.Count == 0 && chunk.Error is null)
        {
            chunk.Release();
            if (cursor.Chunks.Count == 0)
            {
                cursor.Position = chunk.NextOffset;
                return false;
            }
        }
        cursor.Chunks.Enqueue(chunk);
        cursor.Buffered += chunk.Count;
        Requeue(cursor);
        return true;
    }

    // ---------------------------------------------------------------- fetch loop callbacks

    /// <summary>Chooses the partitions a fetch loop fetches next, round-robin so none starves.</summary>
    internal FetchPlan PlanFetch(FetchSource source, ref int rotation)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return new FetchPlan(null, default, Retire: true);
            }
            var now = TimeProvider.GetTimestamp();
            var serves = false;
            long nextRetry = long.MaxValue;
            List<PartitionCursor>? ready = null;
            foreach (var cursor in _cursors.Values)
            {
                if (!ReferenceEquals(cursor.Source, source))
                {
                    continue;
                }
                serves = true;
                if (cursor.State != CursorState.Fetchable || cursor.InFlight || cursor.Buffered >= Settings.QueuedMaxMessages)
                {
                    continue;
                }
                if (cursor.RetryAt > now)
                {
                    nextRetry = Math.Min(nextRetry, cursor.RetryAt);
                    continue;
                }
                (ready ??= []).Add(cursor);
            }
            if (!serves)
            {
                if (_sources.TryGetValue((source.Broker, source.Lane), out var mapped) && ReferenceEquals(mapped, source))
                {
                    _sources.Remove((source.Broker, source.Lane));
                }
                return new FetchPlan(null, default, Retire: true);
            }
            if (ready is null)
            {
                var wakeIn = nextRetry == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeProvider.GetElapsedTime(now, nextRetry);
                return new FetchPlan(null, wakeIn, Retire: false);
            }
            // Rotate the order so that every partition gets to be first (the broker fills partitions in order),
            // then keep each topic's partitions together.
            var start = (int)((uint)rotation++ % (uint)ready.Count);
            var entries = new List<FetchEntry>(ready.Count);
            for (var i = 0; i < ready.Count; i++)
            {
                var cursor = ready[(start + i) % ready.Count];
                cursor.InFlight = true;
                entries.Add(new FetchEntry(cursor, cursor.Version, cursor.FetchOffset, cursor.MaxBytes, cursor.Partition.LeaderEpoch));
            }
            if (entries.Exists(e => !ReferenceEquals(e.Cursor.Topic, entries[0].Cursor.Topic)))
            {
                var order = entries.Select(e => e.Cursor.Topic).Distinct().ToList();
                var sorted = entries.OrderBy(e => order.IndexOf(e.Cursor.Topic)).ToList();
                entries.Clear();
                entries.AddRange(sorted);
            }
            return new FetchPlan(entries, default, Retire: false);
        }
    }

    /// <summary>The fetch failed as a whole (connection lost, timeout): back off and look for leader changes.</summary>
    internal void OnFetchFailed(FetchSource source, List<FetchEntry> entries, KafkaException error)
    {
        ConsumerLog.FetchFailed(Logger, source.Broker.Id, error.Message, Settings.ErrorBackoff.TotalMilliseconds);
        lock (_lock)
        {
            var retryAt = RetryTimestamp();
            foreach (var entry in entries)
            {
                var cursor = entry.Cursor;
                if (cursor.Version == entry.Version)
                {
                    cursor.InFlight = false;
                    cursor.RetryAt = retryAt;
                }
            }
            _metadataWanted ??= $"a fetch from broker {source.Broker.Id} failed: {error.Message}";
        }
        _maintenance.Set();
    }

    /// <summary>A fetch was answered: decode each partition's records and hand them to the consumer, or handle its error.</summary>
    internal void OnFetched(FetchSource source, List<FetchEntry> entries, FetchResponse response)
    {
        var shared = new SharedFetchResponse(response);
        try
        {
            // Find each entry's partition in the response (by topic name before v13, by topic id from v13).
            var results = new Dictionary<(Topic, int), FetchPartitionResponse>(entries.Count);
            foreach (var topicResponse in response.Topics)
            {
                var topic = entries.Find(e => topicResponse.Name is null
                    ? e.Cursor.Topic.Id == topicResponse.TopicId
                    : string.Equals(e.Cursor.Topic.Name, topicResponse.Name, StringComparison.Ordinal)).Cursor?.Topic;
                if (topic is null)
                {
                    continue;
                }
                foreach (var p in topicResponse.Partitions)
                {
                    results[(topic, p.PartitionIndex)] = p;
                }
            }

            // Decode outside the lock: this is the CPU-heavy part (CRC, decompression).
            var outcomes = new (FetchPartitionResponse? Partition, FetchChunk? Chunk, RecordDecoder.Result Result)[entries.Count];
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                results.TryGetValue((entry.Cursor.Topic, entry.Cursor.Id), out var partition);
                outcomes[i].Partition = partition;
                if (partition is null || response.ErrorCode != KafkaErrorCode.None || partition.ErrorCode != KafkaErrorCode.None)
                {
                    continue;
                }
                var chunk = new FetchChunk();
                var reader = RentReader();
                chunk.Hold(shared, reader, _returnReader);
                outcomes[i].Chunk = chunk;
                outcomes[i].Result = RecordDecoder.Decode(
                    reader, response.GetRecords(partition), entry.Cursor.Topic.Name, entry.Cursor.Id, entry.FetchOffset,
                    partition.AbortedTransactions, Settings.ReadCommitted, chunk);
                chunk.NextOffset = outcomes[i].Result.NextOffset;
            }

            var arrived = false;
            var wantMaintenance = false;
            lock (_lock)
            {
                for (var i = 0; i < entries.Count; i++)
                {
                    var entry = entries[i];
                    var cursor = entry.Cursor;
                    var (partition, chunk, result) = outcomes[i];
                    if (cursor.Version != entry.Version || !ReferenceEquals(cursor.Source, source) || _disposed)
                    {
                        chunk?.Release(); // reset, moved or removed while the fetch was in flight
                        continue;
                    }
                    cursor.InFlight = false;
                    if (partition is null)
                    {
                        continue; // the broker left it out (the response was full): fetched again next time
                    }
                    var error = response.ErrorCode != KafkaErrorCode.None ? response.ErrorCode : partition.ErrorCode;
                    if (error == KafkaErrorCode.None)
                    {
                        arrived |= Accept(cursor, entry, chunk!, result);
                    }
                    else
                    {
                        var (data, maintenance) = OnPartitionError(source, cursor, entry, error);
                        arrived |= data;
                        wantMaintenance |= maintenance;
                    }
                }
            }
            if (arrived)
            {
                _dataArrived.Set();
            }
            if (wantMaintenance)
            {
                _maintenance.Set();
            }
        }
        finally
        {
            shared.Release();
        }
    }

    private bool Accept(PartitionCursor cursor, FetchEntry entry, FetchChunk chunk, RecordDecoder.Result result)
    {
        if (result.TruncatedEntrySize > 0 && chunk.Count == 0 && result.Error is null && result.NextOffset == entry.FetchOffset)
        {
            // Not one whole batch: only brokers before KIP-74 do this, for a batch larger than the fetch size.
            chunk.Release();
            if (cursor.MaxBytes >= Settings.ResponseMaxBytes)
            {
                var tooLarge = new KafkaConsumeException(cursor.Topic.Name, cursor.Id, entry.FetchOffset, KafkaErrorCode.MessageTooLarge,
                    $"The batch at offset {entry.FetchOffset} of {cursor} ({result.TruncatedEntrySize} bytes) does not fit in a fetch response ({Settings.ResponseMaxBytes} bytes).");
                cursor.State = CursorState.Failed;
                ConsumerLog.PartitionFailed(Logger, cursor.Topic.Name, cursor.Id, entry.FetchOffset, tooLarge.Message);
                return Append(cursor, FetchChunk.Failure(tooLarge));
            }
            var grown = (int)Math.Min(Settings.ResponseMaxBytes, Math.Max(result.TruncatedEntrySize, cursor.MaxBytes * 2L));
            ConsumerLog.FetchSizeGrown(Logger, cursor.Topic.Name, cursor.Id, entry.FetchOffset, grown);
            cursor.MaxBytes = grown;
            cursor.Source?.Wake();
            return false;
        }
        cursor.FetchOffset = result.NextOffset;
        var arrived = Append(cursor, chunk);
        if (result.Error is { } error)
        {
            cursor.State = CursorState.Failed;
            ConsumerLog.PartitionFailed(Logger, cursor.Topic.Name, cursor.Id, error.Offset, error.Message);
            arrived |= Append(cursor, FetchChunk.Failure(error));
        }
        return arrived;
    }

    private (bool Data, bool Maintenance) OnPartitionError(FetchSource source, PartitionCursor cursor, FetchEntry entry, KafkaErrorCode error)
    {
        switch (error)
        {
            case KafkaErrorCode.OffsetOutOfRange:
                cursor.State = CursorState.OutOfRange;
                return (false, true);
            case KafkaErrorCode.NotLeaderOrFollower or KafkaErrorCode.LeaderNotAvailable or KafkaErrorCode.UnknownTopicOrPartition
                or KafkaErrorCode.FencedLeaderEpoch or KafkaErrorCode.UnknownLeaderEpoch or KafkaErrorCode.UnknownTopicId
                or KafkaErrorCode.InconsistentTopicId or KafkaErrorCode.ReplicaNotAvailable or KafkaErrorCode.KafkaStorageError
                or KafkaErrorCode.OffsetNotAvailable or KafkaErrorCode.NotCoordinator:
                ConsumerLog.PartitionRetry(Logger, cursor.Topic.Name, cursor.Id, entry.FetchOffset, source.Broker.Id, KafkaErrors.GetName(error));
                cursor.RetryAt = RetryTimestamp();
                _metadataWanted ??= $"broker {source.Broker.Id} answered {KafkaErrors.GetName(error)} for {cursor.Partition}";
                return (false, true);
            default:
                if (KafkaErrors.IsRetriable(error))
                {
                    ConsumerLog.PartitionRetry(Logger, cursor.Topic.Name, cursor.Id, entry.FetchOffset, source.Broker.Id, KafkaErrors.GetName(error));
                    cursor.RetryAt = RetryTimestamp();
                    source.Wake();
                    return (false, false);
                }
                var failure = new KafkaConsumeException(cursor.Topic.Name, cursor.Id, entry.FetchOffset, error,
                    $"Broker {source.Broker.Id} refused to serve {cursor} at offset {entry.FetchOffset}: {KafkaErrors.GetName(error)}. " +
                    "The partition is not fetched again until its offset is reset.");
                cursor.State = CursorState.Failed;
                ConsumerLog.PartitionFailed(Logger, cursor.Topic.Name, cursor.Id, entry.FetchOffset, failure.Message);
                return (Append(cursor, FetchChunk.Failure(failure)), false);
        }
    }

    private long RetryTimestamp() =>
        TimeProvider.GetTimestamp() + (long)(Settings.ErrorBackoff.TotalSeconds * TimeProvider.TimestampFrequency);

    private RecordSetReader RentReader()
    {
        lock (_readerLock)
        {
            if (_readers.TryPop(out var reader))
            {
                return reader;
            }
        }
        return new RecordSetReader { VerifyChecksums = Settings.VerifyChecksums };
    }

    private void ReturnReader(RecordSetReader reader)
    {
        reader.Reset(ReadOnlyMemory<byte>.Empty);
        lock (_readerLock)
        {
            if (_readers.Count < MaxPooledReaders && !_disposed)
            {
                _readers.Push(reader);
                return;
            }
        }
        reader.Dispose();
    }

    // ---------------------------------------------------------------- maintenance

    /// <summary>The cluster has a new snapshot: cursors follow their partitions' leaders on the maintenance loop.</summary>
    private void OnMetadataChanged()
    {
        Volatile.Write(ref _metadataChanged, 1);
        _maintenance.Set();
    }

    /// <summary>
    /// Asks the client's metadata loop for newer metadata when a cursor met a stale leader (the loop spaces refreshes
    /// out and serves every consumer at once), moves cursors to their leaders after each new snapshot, and resets
    /// partitions whose offset fell out of range.
    /// </summary>
    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        var time = TimeProvider;
        var wait = Timeout.InfiniteTimeSpan;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _maintenance.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
                wait = Timeout.InfiniteTimeSpan;
                string? wanted;
                lock (_lock)
                {
                    if (Interlocked.Exchange(ref _metadataChanged, 0) != 0)
                    {
                        foreach (var cursor in _cursors.Values)
                        {
                            Rehome(cursor); // a partition still without a leader asks again
                        }
                        foreach (var source in _sources.Values)
                        {
                            source.Wake();
                        }
                    }
                    wanted = _metadataWanted;
                    _metadataWanted = null;
                }
                if (wanted is not null)
                {
                    Cluster.Metadata.Request(wanted);
                }
                if (!await ResetOutOfRangeAsync(cancellationToken).ConfigureAwait(false))
                {
                    wait = Settings.ErrorBackoff;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                ConsumerLog.MaintenanceFailed(Logger, ex);
                wait = Settings.ErrorBackoff;
            }
        }
    }

    /// <summary>
    /// Moves partitions whose fetch offset fell out of range: below the log start (data deleted) to the earliest
    /// offset, or to the latest with AutoOffsetReset latest; beyond the log end to the latest offset (never back to
    /// the earliest, which would deliver messages again); an offset found in range after all stays. False when a
    /// lookup failed and must be retried.
    /// </summary>
    private async Task<bool> ResetOutOfRangeAsync(CancellationToken cancellationToken)
    {
        List<FetchEntry>? pending = null;
        lock (_lock)
        {
            foreach (var cursor in _cursors.Values)
            {
                if (cursor.State == CursorState.OutOfRange)
                {
                    (pending ??= []).Add(new FetchEntry(cursor, cursor.Version, cursor.FetchOffset, 0, -1));
                }
            }
        }
        if (pending is null)
        {
            return true;
        }
        var ok = true;
        foreach (var group in pending.GroupBy(e => e.Cursor.Topic))
        {
            var topic = group.Key;
            var ids = group.Select(e => e.Cursor.Id).ToList();
            IReadOnlyDictionary<int, long> earliest, latest;
            try
            {
                earliest = await Cluster.Offsets.ListAsync(topic, ids, ListOffsetsRequest.EarliestTimestamp, cancellationToken).ConfigureAwait(false);
                latest = await Cluster.Offsets.ListAsync(topic, ids, ListOffsetsRequest.LatestTimestamp, cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaException ex)
            {
                ConsumerLog.ResetFailed(Logger, topic.Name, ex.Message);
                ok = false;
                continue;
            }
            var wake = new List<FetchSource>();
            lock (_lock)
            {
                foreach (var entry in group)
                {
                    var cursor = entry.Cursor;
                    if (cursor.Version != entry.Version || cursor.State != CursorState.OutOfRange
                        || !earliest.TryGetValue(cursor.Id, out var first) || !latest.TryGetValue(cursor.Id, out var last))
                    {
                        continue;
                    }
                    // Still in range (the error was transient, or the log grew back): resume where we were.
                    var target = entry.FetchOffset < first ? Settings.AutoOffsetReset == OffsetType.Latest ? last : first
                        : entry.FetchOffset > last ? last
                        : entry.FetchOffset;
                    ConsumerLog.OffsetReset(Logger, topic.Name, cursor.Id, entry.FetchOffset, first, last, target);
                    cursor.State = CursorState.Fetchable;
                    cursor.FetchOffset = target;
                    cursor.RetryAt = 0;
                    Append(cursor, FetchChunk.PositionOnly(target));
                    if (cursor.Source is { } source)
                    {
                        wake.Add(source);
                    }
                }
            }
            foreach (var source in wake)
            {
                source.Wake();
            }
        }
        return ok;
    }

    // ---------------------------------------------------------------- lifetime

    public async ValueTask DisposeAsync()
    {
        List<Task> loops;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            loops = [_maintenanceLoop, .. _sources.Values.Select(s => s.Loop)];
        }
        Cluster.MetadataChanged -= OnMetadataChanged;
        await _stop.CancelAsync().ConfigureAwait(false);
        _dataArrived.Set();
        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            ConsumerLog.MaintenanceFailed(Logger, ex);
        }
        lock (_lock)
        {
            foreach (var cursor in _cursors.Values)
            {
                DropChunks(cursor);
            }
            _ready.Clear();
            _sources.Clear();
        }
        ReleaseDelivered();
        lock (_readerLock)
        {
            while (_readers.TryPop(out var reader))
            {
                reader.Dispose();
            }
        }
        _stop.Dispose();
    }
}
