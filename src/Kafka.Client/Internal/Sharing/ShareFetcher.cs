using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Sharing;

/// <summary>
/// The engine of a <see cref="ShareConsumer"/>: fetches through the share sessions (one per leader broker), keeps what
/// each shared partition delivered and what waits to be acknowledged, and sends the acknowledgements with the next
/// ShareFetch or in a ShareAcknowledge. Membership is the <see cref="ShareGroupMember"/>'s.
/// </summary>
internal sealed partial class ShareFetcher : IAsyncDisposable
{
    private readonly Cluster _cluster;
    private readonly ShareConsumerOptions _options;
    private readonly ShareGroupMember _member;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationToken _lifetime;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Topic, int Partition), SharePartition> _partitions = [];
    private readonly Dictionary<int, ShareSession> _sessions = [];
    private readonly List<ShareAcknowledgementFailure> _failures = [];
    private ShareSession[] _closed = [];

    /// <param name="cluster">The client's cluster.</param>
    /// <param name="options">The consumer's options, validated.</param>
    /// <param name="member">The group membership that says which partitions to fetch.</param>
    /// <param name="logger">The consumer's logger.</param>
    /// <param name="lifetime">Cancelled when the consumer is disposed: ends the sessions' connections.</param>
    public ShareFetcher(Cluster cluster, ShareConsumerOptions options, ShareGroupMember member, ILogger logger, CancellationToken lifetime)
    {
        _cluster = cluster;
        _options = options;
        _member = member;
        _logger = logger;
        _time = cluster.Settings.TimeProvider;
        _lifetime = lifetime;
    }

    private string GroupId => _member.GroupId;

    private string MemberId => _member.MemberId;

    /// <summary>Throws what failed the member for good, if anything did.</summary>
    public void ThrowIfFailed()
    {
        if (_member.Fatal is { } fatal)
        {
            throw fatal;
        }
    }

    /// <summary>Records the outcome of a record this consumer delivered; it is sent with the next fetch or commit.</summary>
    /// <exception cref="InvalidOperationException">The record was not delivered by this consumer, or was acknowledged already.</exception>
    public void Acknowledge(ConsumedMessage message, ShareAcknowledgeType type)
    {
        lock (_lock)
        {
            if (!_partitions.TryGetValue((message.Topic, message.PartitionId), out var partition) || !partition.Delivered.Remove(message.Offset))
            {
                throw new InvalidOperationException(
                    $"Record {message} was not delivered by this share consumer, or was acknowledged already.");
            }
            partition.Pending[message.Offset] = (byte)type;
        }
    }

    /// <summary>Acknowledges those of <paramref name="messages"/> that are not acknowledged yet.</summary>
    public void AcknowledgeRemaining(IReadOnlyList<ConsumedMessage> messages, ShareAcknowledgeType type)
    {
        lock (_lock)
        {
            foreach (var message in messages)
            {
                if (_partitions.TryGetValue((message.Topic, message.PartitionId), out var partition) && partition.Delivered.Remove(message.Offset))
                {
                    partition.Pending[message.Offset] = (byte)type;
                }
            }
        }
    }

    /// <summary>Sends every pending acknowledgement now and returns those the brokers refused since the last call.</summary>
    public async Task<IReadOnlyList<ShareAcknowledgementFailure>> CommitAsync(CancellationToken cancellationToken)
    {
        ShareSession[] sessions;
        lock (_lock)
        {
            sessions = [.. _sessions.Values];
        }
        await Task.WhenAll(sessions.Select(s => AcknowledgeAsync(s, close: false, cancellationToken))).ConfigureAwait(false);
        lock (_lock)
        {
            var failures = _failures.ToArray();
            _failures.Clear();
            return failures;
        }
    }

    /// <summary>Sends what was acknowledged and closes every share session (the brokers release the rest).</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        ShareSession[] sessions;
        lock (_lock)
        {
            sessions = [.. _sessions.Values];
            _sessions.Clear();
            _closed = sessions;
        }
        await Task.WhenAll(sessions.Select(s => AcknowledgeAsync(s, close: true, cancellationToken))).ConfigureAwait(false);
        lock (_lock)
        {
            foreach (var partition in _partitions.Values.Where(p => p.Pending.Count > 0))
            {
                // Not sent (the broker was unreachable, or the session had to open again): the broker hands those records
                // out again once their locks run out, whatever the application decided.
                Log.AcknowledgementsUnsent(_logger, GroupId, partition.Topic, partition.Partition, partition.Pending.Count);
            }
        }
    }

    /// <summary>Releases the closed sessions' connections.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var session in _closed)
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Fetches from the leaders of the shared partitions, carrying the pending acknowledgements.</summary>
    public async Task<IReadOnlyList<ConsumedMessage>> FetchAsync(CancellationToken token)
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
                try
                {
                    await SendAcknowledgementsAsync(session, close: false, only: p => !wanted.Contains((p.TopicId, p.Partition)), token).ConfigureAwait(false);
                }
                catch (KafkaException ex) when (ex is not KafkaVersionException)
                {
                    // The acknowledgements are back in place and the session reset: the next poll tries again.
                    await FailedAsync(session, ex.Message, token).ConfigureAwait(false);
                    return [];
                }
            }
            else if (session.Epoch == ShareFetchRequest.OpenEpoch)
            {
                DropLostAcknowledgements(session, wanted);
            }
            // A partition no longer assigned stays in the session until the records this member held of it when it lost
            // the assignment are acknowledged: forgetting it would make the broker release them under the handlers' feet,
            // and their acknowledgements be refused. (Records it yields meanwhile are this member's to handle too.)
            HashSet<(Guid TopicId, int Partition)> lingering;
            lock (_lock)
            {
                lingering = [.. session.Partitions.Where(p => !wanted.Contains(p) && StillHeld(p))];
                foreach (var state in _partitions.Values)
                {
                    if (wanted.Contains((state.TopicId, state.Partition)))
                    {
                        state.HeldWhenUnassigned = null;
                    }
                }
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
                    : [.. session.Partitions.Where(p => !wanted.Contains(p) && !lingering.Contains(p)).GroupBy(p => p.TopicId)
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
                var reopened = session.Epoch == ShareFetchRequest.OpenEpoch;
                session.Epoch++;
                session.Partitions.Clear();
                session.Partitions.UnionWith(wanted);
                if (!reopened)
                {
                    session.Partitions.UnionWith(lingering);
                }
            }
            return Read(session, response, sent);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    // Under _lock: whether this member still holds (handed out, or acknowledged and not sent yet) any record it held of a
    // partition when the partition stopped being assigned to it.
    private bool StillHeld((Guid TopicId, int Partition) partition)
    {
        if (FindPartition(partition.TopicId, partition.Partition) is not { } state)
        {
            return false;
        }
        state.HeldWhenUnassigned ??= [.. state.Delivered, .. state.Pending.Keys];
        state.HeldWhenUnassigned.RemoveWhere(offset => !state.Delivered.Contains(offset) && !state.Pending.ContainsKey(offset));
        return state.HeldWhenUnassigned.Count > 0;
    }

    // Under _lock.
    private SharePartition? FindPartition(Guid topicId, int partition)
    {
        foreach (var state in _partitions.Values)
        {
            if (state.TopicId == topicId && state.Partition == partition)
            {
                return state;
            }
        }
        return null;
    }

    /// <summary>
    /// A session that has to open again lost its acquisitions: the broker released them. Acknowledgements for partitions
    /// the new session will not fetch cannot be applied any more; they are reported as refused rather than kept forever.
    /// (For the partitions it fetches the broker may hand the same records to this member again, and then they apply.)
    /// </summary>
    private void DropLostAcknowledgements(ShareSession session, HashSet<(Guid, int)> wanted)
    {
        List<(SharePartition State, long[] Offsets)> lost = [];
        lock (_lock)
        {
            foreach (var state in _partitions.Values)
            {
                if (state.SessionBrokerId == session.Broker.Id && state.Pending.Count > 0 && !wanted.Contains((state.TopicId, state.Partition)))
                {
                    state.TakePending(out var offsets);
                    lost.Add((state, offsets));
                }
            }
        }
        foreach (var (state, offsets) in lost)
        {
            ReportRefused(state, KafkaErrorCode.ShareSessionNotFound, $"the share session with {session.Broker} was lost before they were sent", offsets);
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

    private ShareSession SessionFor(Broker broker)
    {
        lock (_lock)
        {
            if (_sessions.TryGetValue(broker.Id, out var session) && ReferenceEquals(session.Broker, broker))
            {
                return session;
            }
            // A broker that moved is a new broker object: its old session's connection goes (its acquisitions are
            // released by that broker when the session times out).
            if (session is not null)
            {
                _ = session.Slot.DisposeAsync().AsTask();
            }
            session = new ShareSession(broker, new ConnectionSlot(broker, ConnectionKind.Fetch, _cluster.Settings, _lifetime));
            _sessions[broker.Id] = session;
            return session;
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

        [LoggerMessage(335, LogLevel.Warning, "Share group {GroupId}: {Count} acknowledgements of {Topic}/{Partition} could not be sent before the consumer closed; those records are delivered again once their locks run out")]
        public static partial void AcknowledgementsUnsent(ILogger logger, string groupId, string topic, int partition, int count);

        [LoggerMessage(334, LogLevel.Warning, "Share group {GroupId}: records of {Topic}/{Partition} could not be read and go back to the group: {Reason}")]
        public static partial void CorruptRecords(ILogger logger, string groupId, string topic, int partition, string reason);
    }
}
