using Kafka.Client.Internal.Sharing;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using Microsoft.Extensions.Logging;

namespace Kafka.Client;

/// <summary>Fetching and acknowledging through the share sessions, one per leader broker.</summary>
public sealed partial class ShareConsumer
{
    private async Task<IReadOnlyList<ConsumedMessage>> FetchAsync(CancellationToken token)
    {
        var assignment = _member.Assignment;
        if (assignment.Count == 0)
        {
            // Not in the group yet (or nothing to share): wait for an assignment at most one fetch wait.
            var changed = _member.AssignmentChanged;
            try
            {
                await changed.WaitAsync(_options.FetchWaitMax, _time, token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
            ThrowIfFailed();
            assignment = _member.Assignment;
            if (assignment.Count == 0)
            {
                await CloseIdleSessionsAsync(token).ConfigureAwait(false);
                return [];
            }
        }
        var byLeader = new Dictionary<int, (Broker Broker, List<ShareAssignedPartition> Partitions)>();
        foreach (var assigned in assignment)
        {
            if (_cluster.Topics.TryGetValue(assigned.Topic, out var topic)
                && topic.Partitions.TryGetValue(assigned.Partition, out var partition)
                && partition.Leader is { } leader)
            {
                if (!byLeader.TryGetValue(leader.Id, out var entry))
                {
                    byLeader[leader.Id] = entry = (leader, []);
                }
                entry.Partitions.Add(assigned);
            }
            else
            {
                _cluster.ReportStaleMetadata($"share group '{GroupId}' has no leader for {assigned.Topic}/{assigned.Partition}");
            }
        }
        // Sessions with nothing assigned any more still forget their partitions and send their acknowledgements.
        ShareSession[] idle;
        lock (_lock)
        {
            idle = [.. _sessions.Values.Where(s => !byLeader.ContainsKey(s.Broker.Id))];
        }
        var fetches = byLeader.Values.Select(e => FetchFromAsync(SessionFor(e.Broker), e.Partitions, token))
            .Concat(idle.Select(s => FetchFromAsync(s, [], token)));
        var results = await Task.WhenAll(fetches).ConfigureAwait(false);
        ThrowIfFailed();
        return results.Length == 1 ? results[0] : [.. results.SelectMany(r => r)];
    }

    private async Task CloseIdleSessionsAsync(CancellationToken token)
    {
        ShareSession[] sessions;
        lock (_lock)
        {
            sessions = [.. _sessions.Values.Where(s => s.Partitions.Count > 0)];
        }
        await Task.WhenAll(sessions.Select(s => FetchFromAsync(s, [], token))).ConfigureAwait(false);
    }

    /// <summary>
    /// One ShareFetch on a session: the partitions this member shares on that broker (with the acknowledgements for
    /// them), the partitions to forget; acknowledgements for partitions not fetched any more go first in a
    /// ShareAcknowledge, so that they never bring a forgotten partition back into the session.
    /// </summary>
    private async Task<IReadOnlyList<ConsumedMessage>> FetchFromAsync(ShareSession session, List<ShareAssignedPartition> partitions, CancellationToken token)
    {
        await session.Gate.WaitAsync(token).ConfigureAwait(false);
        var sent = new List<(SharePartition Partition, List<ShareAcknowledgementBatch> Batches, long[] Offsets)>();
        try
        {
            var wanted = partitions.Select(p => (p.TopicId, p.Partition)).ToHashSet();
            if (session.Epoch > 0 && HasStrayAcknowledgements(session, wanted))
            {
                await SendAcknowledgementsAsync(session, close: false, only: p => !wanted.Contains((p.TopicId, p.Partition)), token).ConfigureAwait(false);
            }
            var request = new ShareFetchRequest
            {
                GroupId = GroupId,
                MemberId = MemberId,
                ShareSessionEpoch = session.Epoch,
                MaxWaitMs = (int)_options.FetchWaitMax.TotalMilliseconds,
                MinBytes = _options.FetchMinBytes,
                MaxBytes = _options.FetchMaxBytes,
                MaxRecords = _options.MaxPollRecords,
                BatchSize = _options.MaxPollRecords,
            };
            var topics = new List<ShareTopicAcknowledgements>();
            lock (_lock)
            {
                foreach (var group in partitions.GroupBy(p => p.TopicId))
                {
                    var entries = new List<SharePartitionAcknowledgements>();
                    foreach (var assigned in group)
                    {
                        var state = PartitionState(assigned);
                        List<ShareAcknowledgementBatch> batches = [];
                        // An opening request carries no acknowledgements (the broker refuses them); they wait one round.
                        if (session.Epoch > 0 && state.SessionBrokerId == session.Broker.Id && state.Pending.Count > 0)
                        {
                            batches = state.TakePending(out var offsets);
                            sent.Add((state, batches, offsets));
                        }
                        entries.Add(new SharePartitionAcknowledgements(assigned.Partition, batches));
                    }
                    topics.Add(new ShareTopicAcknowledgements(group.Key, entries));
                }
                request.Topics = topics;
                request.ForgottenTopics = session.Epoch == ShareFetchRequest.OpenEpoch
                    ? []
                    : [.. session.Partitions.Where(p => !wanted.Contains(p)).GroupBy(p => p.TopicId)
                        .Select(g => new TopicIdPartitions(g.Key, [.. g.Select(p => p.Partition)]))];
            }
            if (topics.Count == 0 && request.ForgottenTopics.Count == 0)
            {
                return [];
            }
            ShareFetchResponse response;
            try
            {
                var connection = await session.Slot.GetAsync(token).ConfigureAwait(false);
                response = await connection.SendAsync(request, _cluster.Settings.SocketTimeout + _options.FetchWaitMax, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && ex is not KafkaVersionException)
            {
                Restore(sent);
                sent.Clear();
                session.Reset();
                await FailedAsync(session, ex.Message, token).ConfigureAwait(false);
                return [];
            }
            catch
            {
                Restore(sent);
                sent.Clear();
                session.Reset();
                throw;
            }
            if (response.ErrorCode != KafkaErrorCode.None)
            {
                Restore(sent);
                sent.Clear();
                session.Reset();
                if (response.ErrorCode is KafkaErrorCode.UnsupportedVersion or KafkaErrorCode.GroupAuthorizationFailed)
                {
                    throw new KafkaBrokerException(response.ErrorCode,
                        $"Share group '{GroupId}': {session.Broker} refused ShareFetch with {KafkaErrors.GetName(response.ErrorCode)}: {response.ErrorMessage ?? KafkaErrors.GetDescription(response.ErrorCode)}");
                }
                await FailedAsync(session, $"{KafkaErrors.GetName(response.ErrorCode)}: {response.ErrorMessage}", token).ConfigureAwait(false);
                return [];
            }
            if (session.Failures > 0)
            {
                Log.FetchRecovered(_logger, GroupId, session.Broker.ToString(), session.Failures);
                session.Failures = 0;
            }
            lock (_lock)
            {
                session.Epoch++;
                session.Partitions.Clear();
                session.Partitions.UnionWith(wanted);
            }
            return Read(session, response, sent);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    private bool HasStrayAcknowledgements(ShareSession session, HashSet<(Guid, int)> wanted)
    {
        lock (_lock)
        {
            return _partitions.Values.Any(p => p.SessionBrokerId == session.Broker.Id && p.Pending.Count > 0 && !wanted.Contains((p.TopicId, p.Partition)));
        }
    }

    // Under _lock.
    private SharePartition PartitionState(ShareAssignedPartition assigned)
    {
        if (!_partitions.TryGetValue((assigned.Topic, assigned.Partition), out var state))
        {
            state = new SharePartition(assigned.TopicId, assigned.Topic, assigned.Partition);
            _partitions[(assigned.Topic, assigned.Partition)] = state;
        }
        return state;
    }

    private void Restore(List<(SharePartition Partition, List<ShareAcknowledgementBatch> Batches, long[] Offsets)> sent)
    {
        lock (_lock)
        {
            foreach (var (partition, batches, _) in sent)
            {
                partition.Restore(batches);
            }
        }
    }

    private async Task FailedAsync(ShareSession session, string reason, CancellationToken token)
    {
        if (session.Failures++ == 0)
        {
            Log.FetchFailed(_logger, GroupId, session.Broker.ToString(), reason);
        }
        _cluster.ReportStaleMetadata($"share fetch from {session.Broker} failed");
        var backoff = _options.RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(session.Failures - 1, 10));
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(backoff, _options.RetryBackoff.TotalMilliseconds * 10)), _time, token).ConfigureAwait(false);
    }

    /// <summary>Turns a ShareFetch answer into messages: the acquired offsets of the records, each with its delivery count.</summary>
    private List<ConsumedMessage> Read(ShareSession session, ShareFetchResponse response, List<(SharePartition Partition, List<ShareAcknowledgementBatch> Batches, long[] Offsets)> sent)
    {
        var messages = new List<ConsumedMessage>();
        using var reader = new RecordSetReader { VerifyChecksums = _options.CheckCrcs };
        foreach (var topic in response.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                SharePartition? state;
                lock (_lock)
                {
                    state = _partitions.Values.FirstOrDefault(p => p.TopicId == topic.TopicId && p.Partition == partition.PartitionIndex);
                }
                if (state is null)
                {
                    continue; // not a partition this member asked for
                }
                if (partition.AcknowledgeErrorCode != KafkaErrorCode.None)
                {
                    var refused = sent.Where(s => ReferenceEquals(s.Partition, state)).SelectMany(s => s.Offsets).ToArray();
                    ReportRefused(state, partition.AcknowledgeErrorCode, partition.AcknowledgeErrorMessage, refused);
                }
                if (partition.ErrorCode != KafkaErrorCode.None)
                {
                    _cluster.ReportStaleMetadata($"share fetch of {state.Topic}/{state.Partition} was answered {KafkaErrors.GetName(partition.ErrorCode)}");
                    continue;
                }
                if (partition.AcquiredRecords.Count == 0)
                {
                    continue;
                }
                ReadPartition(reader, session, state, partition, messages);
            }
        }
        return messages;
    }

    private void ReadPartition(RecordSetReader reader, ShareSession session, SharePartition state, ShareFetchPartitionResponse partition, List<ConsumedMessage> messages)
    {
        var acquired = partition.AcquiredRecords.OrderBy(a => a.FirstOffset).ToArray();
        // Offsets this member holds already (handed out and not acknowledged, or acknowledged and not sent yet) are not
        // handed out again if a broker lists them once more (librdkafka's mock lists every record the member holds).
        HashSet<long> held;
        lock (_lock)
        {
            held = [.. state.Delivered, .. state.Pending.Keys];
        }
        var delivered = new HashSet<long>();
        try
        {
            if (partition.Records is { Length: > 0 } records)
            {
                reader.Reset(records, state.Topic, state.Partition);
                var range = 0;
                while (reader.TryReadBatch(out var batch))
                {
                    if (batch.IsControl)
                    {
                        continue; // markers are acknowledged as gaps below
                    }
                    while (reader.TryReadRecord(out var record))
                    {
                        while (range < acquired.Length && acquired[range].LastOffset < record.Offset)
                        {
                            range++;
                        }
                        if (range == acquired.Length)
                        {
                            break;
                        }
                        if (record.Offset >= acquired[range].FirstOffset && !held.Contains(record.Offset) && delivered.Add(record.Offset))
                        {
                            messages.Add(ConsumedMessage.ForShareGroup(state.Topic, state.Partition, in record, acquired[range].DeliveryCount));
                        }
                    }
                }
            }
        }
        catch (KafkaProtocolException ex)
        {
            // A corrupt batch: what could not be read goes back to the group (Release) and its delivery count grows.
            Log.CorruptRecords(_logger, GroupId, state.Topic, state.Partition, ex.Message);
        }
        lock (_lock)
        {
            state.SessionBrokerId = session.Broker.Id;
            foreach (var range in acquired)
            {
                for (var offset = range.FirstOffset; offset <= range.LastOffset; offset++)
                {
                    if (delivered.Contains(offset))
                    {
                        state.Delivered.Add(offset);
                    }
                    else if (!held.Contains(offset))
                    {
                        // An acquired offset with no record (a transaction marker, compacted away, unreadable): a gap.
                        state.Pending[offset] = 0;
                    }
                }
            }
        }
    }

    private void ReportRefused(SharePartition state, KafkaErrorCode error, string? message, long[] offsets)
    {
        var failure = new ShareAcknowledgementFailure(state.Topic, state.Partition, error, message ?? KafkaErrors.GetDescription(error), offsets);
        lock (_lock)
        {
            _failures.Add(failure);
        }
        Log.AcknowledgementRefused(_logger, GroupId, state.Topic, state.Partition, offsets.Length, KafkaErrors.GetName(error));
    }

    /// <summary>Sends a session's pending acknowledgements with ShareAcknowledge; with <paramref name="close"/> also closes the session.</summary>
    private async Task AcknowledgeAsync(ShareSession session, bool close, CancellationToken token)
    {
        try
        {
            await session.Gate.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        try
        {
            if (session.Epoch > 0)
            {
                await SendAcknowledgementsAsync(session, close, only: null, token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is KafkaException or OperationCanceledException)
        {
            Log.AcknowledgeFailed(_logger, GroupId, session.Broker.ToString(), ex.Message);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>One ShareAcknowledge on a session (the caller holds its gate; its epoch is above 0).</summary>
    private async Task SendAcknowledgementsAsync(ShareSession session, bool close, Func<SharePartition, bool>? only, CancellationToken token)
    {
        var sent = new List<(SharePartition Partition, List<ShareAcknowledgementBatch> Batches, long[] Offsets)>();
        lock (_lock)
        {
            foreach (var partition in _partitions.Values)
            {
                if (partition.SessionBrokerId == session.Broker.Id && partition.Pending.Count > 0 && (only is null || only(partition)))
                {
                    sent.Add((partition, partition.TakePending(out var offsets), offsets));
                }
            }
        }
        if (sent.Count == 0 && !close)
        {
            return;
        }
        var request = new ShareAcknowledgeRequest
        {
            GroupId = GroupId,
            MemberId = MemberId,
            ShareSessionEpoch = close ? ShareFetchRequest.CloseEpoch : session.Epoch,
            Topics = [.. sent.GroupBy(s => s.Partition.TopicId).Select(g => new ShareTopicAcknowledgements(g.Key,
                [.. g.Select(s => new SharePartitionAcknowledgements(s.Partition.Partition, s.Batches))]))],
        };
        ShareAcknowledgeResponse response;
        try
        {
            var connection = await session.Slot.GetAsync(token).ConfigureAwait(false);
            response = await connection.SendAsync(request, _cluster.Settings.SocketTimeout, token).ConfigureAwait(false);
        }
        catch
        {
            Restore(sent);
            session.Reset();
            throw;
        }
        if (response.ErrorCode != KafkaErrorCode.None)
        {
            Restore(sent);
            session.Reset();
            throw new KafkaBrokerException(response.ErrorCode,
                $"Share group '{GroupId}': {session.Broker} refused ShareAcknowledge with {KafkaErrors.GetName(response.ErrorCode)}: {response.ErrorMessage ?? KafkaErrors.GetDescription(response.ErrorCode)}");
        }
        lock (_lock)
        {
            if (close)
            {
                session.Reset();
            }
            else
            {
                session.Epoch++;
            }
        }
        foreach (var topic in response.Topics)
        {
            foreach (var partition in topic.Partitions)
            {
                if (partition.ErrorCode == KafkaErrorCode.None)
                {
                    continue;
                }
                var match = sent.FirstOrDefault(s => s.Partition.TopicId == topic.TopicId && s.Partition.Partition == partition.PartitionIndex);
                if (match.Partition is not null)
                {
                    ReportRefused(match.Partition, partition.ErrorCode, partition.ErrorMessage, match.Offsets);
                }
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(330, LogLevel.Warning, "Share group {GroupId}: fetching from {Broker} fails ({Reason}); retrying, and logging again only once it works")]
        public static partial void FetchFailed(ILogger logger, string groupId, string broker, string reason);

        [LoggerMessage(331, LogLevel.Information, "Share group {GroupId}: fetching from {Broker} works again after {Failures} failures")]
        public static partial void FetchRecovered(ILogger logger, string groupId, string broker, int failures);

        [LoggerMessage(332, LogLevel.Information, "Share group {GroupId}: the broker refused {Count} acknowledgements of {Topic}/{Partition} ({Error}); those records go to the group again")]
        public static partial void AcknowledgementRefused(ILogger logger, string groupId, string topic, int partition, int count, string error);

        [LoggerMessage(333, LogLevel.Warning, "Share group {GroupId}: sending acknowledgements to {Broker} failed: {Reason}")]
        public static partial void AcknowledgeFailed(ILogger logger, string groupId, string broker, string reason);

        [LoggerMessage(334, LogLevel.Warning, "Share group {GroupId}: records of {Topic}/{Partition} could not be read and go back to the group: {Reason}")]
        public static partial void CorruptRecords(ILogger logger, string groupId, string topic, int partition, string reason);
    }
}
