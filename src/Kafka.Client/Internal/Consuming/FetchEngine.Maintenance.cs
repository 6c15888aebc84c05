using Kafka.Client.Protocol;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// The maintenance loop: asks the client's metadata loop for newer metadata when a cursor met a stale leader, moves
/// cursors to their leaders after each new snapshot, and resets partitions whose offset fell out of range.
/// </summary>
internal sealed partial class FetchEngine
{
    private readonly AsyncSignal _maintenance = new();
    private Task _maintenanceLoop = Task.CompletedTask;
    private string? _metadataWanted; // why newer metadata is needed, until the maintenance loop asks the client for it
    private int _metadataChanged;


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
}
