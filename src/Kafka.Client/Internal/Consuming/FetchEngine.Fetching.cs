using Kafka.Client.Protocol;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// What the fetch loops (<see cref="FetchSource"/>) call: which partitions to fetch next, and what to do with an
/// answer (decode each partition's records outside the lock, then accept them if the cursor is unchanged) or a failure
/// (back off, and ask the client for newer metadata when a leader looks stale).
/// </summary>
internal sealed partial class FetchEngine
{

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
            List<PartitionCursor>? probes = null;
            foreach (var cursor in _cursors.Values)
            {
                if (!ReferenceEquals(cursor.Source, source))
                {
                    continue;
                }
                serves = true;
                if (cursor.State == CursorState.Paused)
                {
                    if (cursor.InFlight)
                    {
                        continue;
                    }
                    if (cursor.ProbeAt > now)
                    {
                        nextRetry = Math.Min(nextRetry, cursor.ProbeAt);
                        continue;
                    }
                    (probes ??= []).Add(cursor);
                    continue;
                }
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
            if (ready is null && probes is null)
            {
                var wakeIn = nextRetry == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeProvider.GetElapsedTime(now, nextRetry);
                return new FetchPlan(null, wakeIn, Retire: false);
            }
            // Rotate the order so that every partition gets to be first (the broker fills partitions in order),
            // then keep each topic's partitions together.
            var entries = new List<FetchEntry>((ready?.Count ?? 0) + (probes?.Count ?? 0));
            if (ready is not null)
            {
                var start = (int)((uint)rotation++ % (uint)ready.Count);
                for (var i = 0; i < ready.Count; i++)
                {
                    var cursor = ready[(start + i) % ready.Count];
                    cursor.InFlight = true;
                    entries.Add(new FetchEntry(cursor, cursor.Version, cursor.FetchOffset, cursor.MaxBytes, cursor.Partition.LeaderEpoch));
                }
            }
            if (probes is not null)
            {
                AddProbes(entries, probes, now);
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

    /// <summary>
    /// Paused partitions go last, asking for zero bytes from their last known high watermark: the answer carries the
    /// partition's current high watermark (its lag) and no records, except that a broker may still send one batch
    /// when new data sits at that offset and no partition before it had any (KIP-74), which may end the long poll
    /// early. So each partition is probed at most once per fetch wait: no more fetches than the same consumer sends
    /// while idle and unpaused, and no other request (ListOffsets, Metadata) for lag.
    /// </summary>
    private void AddProbes(List<FetchEntry> entries, List<PartitionCursor> probes, long now)
    {
        var next = now + (long)(Settings.MaxWait.TotalSeconds * TimeProvider.TimestampFrequency);
        foreach (var cursor in probes)
        {
            cursor.InFlight = true;
            cursor.ProbeAt = next;
            var offset = cursor.HighWatermark >= 0 ? cursor.HighWatermark : cursor.Position;
            entries.Add(new FetchEntry(cursor, cursor.Version, offset, MaxBytes: 0, cursor.Partition.LeaderEpoch, IsProbe: true));
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
                if (partition is null || entry.IsProbe || response.ErrorCode != KafkaErrorCode.None || partition.ErrorCode != KafkaErrorCode.None)
                {
                    continue;
                }
                var records = response.GetRecords(partition);
                if (records.IsEmpty)
                {
                    // Nothing new (a caught-up partition; every partition of an idle consumer): decoding would take a
                    // reader from the pool for nothing, and an idle consumer doing so on every fetch kept every reader,
                    // with its decompression buffers, from ever being trimmed.
                    outcomes[i].Chunk = FetchChunk.PositionOnly(entry.FetchOffset);
                    outcomes[i].Result = new RecordDecoder.Result(entry.FetchOffset, null, -1);
                    continue;
                }
                var chunk = new FetchChunk();
                var reader = _readers.Rent();
                chunk.Hold(shared, reader, _readers.ReturnAction);
                outcomes[i].Chunk = chunk;
                if (MessagingTelemetry.ConsumedBytes.Enabled)
                {
                    RecordFetchedBytes(entry.Cursor, records.Length);
                }
                outcomes[i].Result = RecordDecoder.Decode(
                    reader, records, entry.Cursor.Topic.Name, entry.Cursor.Id, entry.FetchOffset,
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
                    if (entry.IsProbe)
                    {
                        wantMaintenance |= OnProbed(source, cursor, partition, error);
                    }
                    else if (error == KafkaErrorCode.None)
                    {
                        cursor.HighWatermark = partition.HighWatermark;
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

    /// <summary>
    /// A paused partition's probe was answered: keep its high watermark (any records are dropped undecoded). A stale
    /// leader asks for metadata as a fetch would; an offset out of range (the log was truncated below the remembered
    /// high watermark) makes the next probe start from the position instead.
    /// </summary>
    private bool OnProbed(FetchSource source, PartitionCursor cursor, FetchPartitionResponse partition, KafkaErrorCode error)
    {
        switch (error)
        {
            case KafkaErrorCode.None:
                if (partition.HighWatermark >= 0)
                {
                    cursor.HighWatermark = partition.HighWatermark;
                }
                return false;
            case KafkaErrorCode.OffsetOutOfRange:
                cursor.HighWatermark = -1;
                return false;
            case KafkaErrorCode.NotLeaderOrFollower or KafkaErrorCode.LeaderNotAvailable or KafkaErrorCode.UnknownTopicOrPartition
                or KafkaErrorCode.FencedLeaderEpoch or KafkaErrorCode.UnknownLeaderEpoch or KafkaErrorCode.UnknownTopicId:
                _metadataWanted ??= $"broker {source.Broker.Id} answered {KafkaErrors.GetName(error)} for {cursor.Partition}";
                return true;
            default:
                return false;
        }
    }

    private void RecordFetchedBytes(PartitionCursor cursor, int bytes)
    {
        if (bytes > 0)
        {
            MessagingTelemetry.ConsumedBytes.Add(bytes, ClientTelemetry.SystemTag, Cluster.Settings.ClientTag,
                new KeyValuePair<string, object?>(KafkaTelemetry.DestinationTag, cursor.Topic.Name),
                new KeyValuePair<string, object?>(KafkaTelemetry.PartitionTag, MessagingTelemetry.PartitionId(cursor.Id)));
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
}
