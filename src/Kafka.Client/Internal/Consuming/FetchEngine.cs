using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// The consuming engine every consumer runs on: a cursor per assigned partition, a fetch loop per leader broker (and
/// lane) that fills the cursors' buffers, and a maintenance loop that follows the client's metadata (moving cursors to
/// new leaders) and resets partitions whose offset fell out of range. The consumer takes messages round-robin across
/// partitions. One responsibility per file: assignment and positions (here), handing messages out
/// (<c>FetchEngine.Delivery.cs</c>), planning and answering fetches (<c>FetchEngine.Fetching.cs</c>), maintenance
/// (<c>FetchEngine.Maintenance.cs</c>); decoding readers come from a <see cref="RecordReaderPool"/>.
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
internal sealed partial class FetchEngine : IAsyncDisposable
{
    // Guards the cursors, the sources and the ready queue (FetchEngine.Delivery.cs).
    private readonly Lock _lock = new();
    private readonly Dictionary<Partition, PartitionCursor> _cursors = [];
    private readonly Dictionary<(Broker Broker, int Lane), FetchSource> _sources = [];
    private readonly RecordReaderPool _readers;
    private readonly CancellationTokenSource _stop = new();
    private readonly Type _owner;
    private bool _disposed;

    /// <param name="cluster">The client's cluster: leaders, connections, offset lookups, metadata.</param>
    /// <param name="settings">The consumer's fetch settings.</param>
    /// <param name="logger">The consumer's logger.</param>
    /// <param name="owner">The public consumer type, named by <see cref="ObjectDisposedException"/>s.</param>
    public FetchEngine(Cluster cluster, FetchSettings settings, ILogger logger, Type owner)
    {
        Cluster = cluster;
        Settings = settings;
        Logger = logger;
        _owner = owner;
        _readers = new RecordReaderPool(settings.VerifyChecksums, cluster.Settings.TimeProvider);
        cluster.MetadataChanged += OnMetadataChanged;
        MessagingTelemetry.Track(this);
    }

    public Cluster Cluster { get; }

    public FetchSettings Settings { get; }

    public ILogger Logger { get; }

    public TimeProvider TimeProvider => Cluster.Settings.TimeProvider;

    /// <summary>Starts the maintenance loop; fetch loops start as partitions get positions and leaders.</summary>
    public void Start() => _maintenanceLoop = Task.Run(() => MaintainAsync(_stop.Token), CancellationToken.None);


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

    /// <summary>
    /// Stops fetching records of these partitions and holds each at the given position (the next offset to deliver):
    /// buffered messages are dropped, and fetches in flight are ignored when they answer. They stay in their fetch
    /// loops as zero-byte probes, so their lag keeps following the partition's high watermark. <see cref="Seek"/>
    /// resumes them.
    /// </summary>
    public void Pause(IEnumerable<KeyValuePair<Partition, long>> positions)
    {
        var wake = new List<FetchSource>();
        // The first probe comes one fetch wait after the pause: a partition paused and resumed quickly (back-pressure)
        // costs no probe at all, and the lag it shows meanwhile is its latest fetch's.
        var firstProbe = TimeProvider.GetTimestamp() + (long)(Settings.MaxWait.TotalSeconds * TimeProvider.TimestampFrequency);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var (partition, position) in positions)
            {
                if (!_cursors.TryGetValue(partition, out var cursor))
                {
                    continue;
                }
                DropChunks(cursor);
                cursor.Version++;
                cursor.InFlight = false;
                cursor.State = CursorState.Paused;
                cursor.Position = position;
                cursor.FetchOffset = position;
                cursor.ProbeAt = firstProbe;
                if (cursor.Source is { } source && !wake.Contains(source))
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
    /// Per assigned partition whose lag is known: the high watermark of the latest fetch response minus the position
    /// (the next offset to deliver). Nothing is requested for it.
    /// </summary>
    public Dictionary<Partition, long> GetLag()
    {
        lock (_lock)
        {
            var lag = new Dictionary<Partition, long>(_cursors.Count);
            foreach (var cursor in _cursors.Values)
            {
                if (cursor.Lag >= 0)
                {
                    lag[cursor.Partition] = cursor.Lag;
                }
            }
            return lag;
        }
    }

    /// <summary>One partition's lag as <see cref="GetLag()"/> gives it, or -1 when it is not known (or not assigned).</summary>
    public long GetLag(Partition partition)
    {
        lock (_lock)
        {
            return _cursors.TryGetValue(partition, out var cursor) ? cursor.Lag : -1;
        }
    }

    /// <summary>The consumer lag gauge's measurements of this engine's partitions.</summary>
    public void ObserveLag(List<System.Diagnostics.Metrics.Measurement<long>> measurements)
    {
        lock (_lock)
        {
            foreach (var cursor in _cursors.Values)
            {
                if (cursor.Lag >= 0)
                {
                    var tags = new System.Diagnostics.TagList { ClientTelemetry.SystemTag };
                    AddPartitionTags(ref tags, cursor);
                    measurements.Add(new System.Diagnostics.Metrics.Measurement<long>(cursor.Lag, in tags));
                }
            }
        }
    }

    /// <summary>Counts messages handed to the application (the caller checked the counter is enabled).</summary>
    private void RecordConsumed(PartitionCursor cursor, int count)
    {
        var tags = new System.Diagnostics.TagList { ClientTelemetry.SystemTag, MessagingTelemetry.ReceiveOperation };
        AddPartitionTags(ref tags, cursor);
        MessagingTelemetry.ConsumedMessages.Add(count, in tags);
    }

    /// <summary>Adds the tags that name one of this consumer's partitions: client, topic, partition and group (if any).</summary>
    private void AddPartitionTags(ref System.Diagnostics.TagList tags, PartitionCursor cursor)
    {
        tags.Add(Cluster.Settings.ClientTag);
        tags.Add(KafkaTelemetry.DestinationTag, cursor.Topic.Name);
        tags.Add(KafkaTelemetry.PartitionTag, MessagingTelemetry.PartitionId(cursor.Id));
        if (Settings.Group is { } group)
        {
            tags.Add(KafkaTelemetry.ConsumerGroupTag, group);
        }
    }

    /// <summary>How many fetched messages wait to be handed out, per assigned partition of <paramref name="topic"/>.</summary>
    public Dictionary<int, int> GetBuffered(Topic topic)
    {
        lock (_lock)
        {
            var buffered = new Dictionary<int, int>(_cursors.Count);
            foreach (var cursor in _cursors.Values)
            {
                if (ReferenceEquals(cursor.Topic, topic))
                {
                    buffered[cursor.Id] = cursor.Buffered;
                }
            }
            return buffered;
        }
    }

    /// <summary>
    /// Makes each partition's next delivered message the one at the given offset: buffered messages are dropped and
    /// fetches in flight are ignored when they answer. A failed partition is fetched again; a paused one stays paused
    /// at its new position (<paramref name="resume"/> resumes it).
    /// </summary>
    public void Seek(IEnumerable<KeyValuePair<Partition, long>> positions, bool resume = false)
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
                cursor.State = cursor.State == CursorState.Paused && !resume ? CursorState.Paused : CursorState.Fetchable;
                cursor.FetchOffset = offset;
                cursor.Position = offset;
                cursor.RetryAt = 0;
                cursor.ProbeAt = 0;
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
        MessagingTelemetry.Forget(this);
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
        _readers.Dispose();
        _stop.Dispose();
    }
}
