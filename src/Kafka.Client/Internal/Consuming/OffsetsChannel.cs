using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// A consumer group's offset storage (pykafka's offsets channel): finds the group's coordinator with FindCoordinator,
/// then commits and reads offsets with OffsetCommit and OffsetFetch on the coordinator's offsets connection (which has
/// its own timeout, <see cref="KafkaClientOptions.OffsetsChannelSocketTimeout"/>). A coordinator that moved or is not
/// available is looked up again; each operation is tried up to 1 + maxRetries times, the n-th retry after n × backoff,
/// and then fails with <see cref="KafkaOffsetCommitException"/>. Group membership (generation, member id) is passed in,
/// so a group consumer uses the same channel.
/// </summary>
internal sealed class OffsetsChannel
{
    private readonly Cluster _cluster;
    private readonly TimeSpan _backoff;
    private readonly int _maxRetries;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Broker? _coordinator;

    public OffsetsChannel(Cluster cluster, string groupId, TimeSpan backoff, int maxRetries, ILogger logger)
    {
        _cluster = cluster;
        GroupId = groupId;
        _backoff = backoff;
        _maxRetries = maxRetries;
        _logger = logger;
    }

    public string GroupId { get; }

    private TimeProvider Time => _cluster.Settings.TimeProvider;

    /// <summary>Commits offsets (each the next offset to read) of one topic's partitions.</summary>
    public async Task CommitAsync(
        string topic, IReadOnlyDictionary<int, long> offsets, CancellationToken cancellationToken,
        int generationId = -1, string memberId = "", string? groupInstanceId = null)
    {
        var remaining = new Dictionary<int, long>(offsets);
        var failed = new Dictionary<int, KafkaErrorCode>();
        Exception? lastError = null;
        for (var attempt = 0; remaining.Count > 0; attempt++)
        {
            if (attempt > _maxRetries)
            {
                throw Failure(topic, remaining.Keys, failed, "commit", lastError);
            }
            if (attempt > 0)
            {
                await Task.Delay(_backoff * attempt, Time, cancellationToken).ConfigureAwait(false);
            }
            Broker coordinator;
            OffsetCommitResponse response;
            try
            {
                coordinator = await GetCoordinatorAsync(cancellationToken).ConfigureAwait(false);
                var request = new OffsetCommitRequest
                {
                    GroupId = GroupId,
                    GenerationIdOrMemberEpoch = generationId,
                    MemberId = memberId,
                    GroupInstanceId = groupInstanceId,
                    Topics = [new OffsetCommitTopic(topic, [.. remaining.Select(kv => new OffsetCommitPartition(kv.Key, kv.Value))])],
                };
                response = await SendAsync(coordinator, request, cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaException ex) when (ex.IsRetriable)
            {
                lastError = ex;
                continue;
            }

            lastError = null;
            var answered = response.Topics.Where(t => t.Name == topic).SelectMany(t => t.Partitions).ToList();
            foreach (var partition in answered)
            {
                if (!remaining.ContainsKey(partition.PartitionIndex))
                {
                    continue;
                }
                var error = partition.ErrorCode;
                if (error == KafkaErrorCode.None)
                {
                    remaining.Remove(partition.PartitionIndex);
                    failed.Remove(partition.PartitionIndex);
                    continue;
                }
                failed[partition.PartitionIndex] = error;
                if (IsCoordinatorError(error))
                {
                    Forget(coordinator);
                }
                else if (!KafkaErrors.IsRetriable(error) || (generationId >= 0 && IsGroupError(error)))
                {
                    throw Failure(topic, remaining.Keys, failed, "commit", null, retriable: false);
                }
            }
            if (remaining.Count > 0)
            {
                foreach (var id in remaining.Keys)
                {
                    if (!answered.Exists(p => p.PartitionIndex == id))
                    {
                        failed[id] = KafkaErrorCode.UnknownServerError; // left out of the answer
                    }
                }
                ConsumerLog.OffsetsRetry(_logger, GroupId, coordinator.Id,
                    string.Join(", ", failed.Where(kv => remaining.ContainsKey(kv.Key)).Select(kv => $"{topic}/{kv.Key}: {KafkaErrors.GetName(kv.Value)}")),
                    attempt + 1);
            }
        }
    }

    /// <summary>The committed offset (the next offset to read) of each partition, -1 where the group has none.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="partitionIds">Its partitions.</param>
    /// <param name="cancellationToken">Abandons the lookup.</param>
    /// <param name="memberId">A KIP-848 member's id, sent with <paramref name="memberEpoch"/> from OffsetFetch v9 so the
    /// broker can check the member is current; <see langword="null"/> otherwise.</param>
    /// <param name="memberEpoch">That member's epoch; -1 when no member is named.</param>
    public async Task<IReadOnlyDictionary<int, long>> FetchAsync(
        string topic, IReadOnlyCollection<int> partitionIds, CancellationToken cancellationToken, string? memberId = null, int memberEpoch = -1)
    {
        var result = new Dictionary<int, long>();
        var failed = new Dictionary<int, KafkaErrorCode>();
        Exception? lastError = null;
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > _maxRetries)
            {
                throw Failure(topic, partitionIds, failed, "fetch", lastError);
            }
            if (attempt > 0)
            {
                await Task.Delay(_backoff * attempt, Time, cancellationToken).ConfigureAwait(false);
            }
            Broker coordinator;
            OffsetFetchResponse response;
            try
            {
                coordinator = await GetCoordinatorAsync(cancellationToken).ConfigureAwait(false);
                var request = new OffsetFetchRequest
                {
                    GroupId = GroupId,
                    Topics = [new OffsetFetchTopic(topic, [.. partitionIds])],
                    MemberId = memberId,
                    MemberEpoch = memberId is null ? -1 : memberEpoch,
                };
                response = await SendAsync(coordinator, request, cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaException ex) when (ex.IsRetriable)
            {
                lastError = ex;
                continue;
            }
            lastError = null;
            failed.Clear();
            if (response.ErrorCode != KafkaErrorCode.None)
            {
                foreach (var id in partitionIds)
                {
                    failed[id] = response.ErrorCode;
                }
            }
            else
            {
                foreach (var partition in response.Topics.Where(t => t.Name == topic).SelectMany(t => t.Partitions))
                {
                    if (partition.ErrorCode == KafkaErrorCode.None)
                    {
                        result[partition.PartitionIndex] = partition.CommittedOffset;
                    }
                    else
                    {
                        failed[partition.PartitionIndex] = partition.ErrorCode;
                    }
                }
                foreach (var id in partitionIds)
                {
                    if (!result.ContainsKey(id) && !failed.ContainsKey(id))
                    {
                        failed[id] = KafkaErrorCode.UnknownServerError;
                    }
                }
            }
            if (failed.Count == 0)
            {
                return result;
            }
            if (failed.Values.Any(IsCoordinatorError))
            {
                Forget(coordinator);
            }
            if (failed.Values.Any(e => !IsCoordinatorError(e) && !KafkaErrors.IsRetriable(e) && e != KafkaErrorCode.UnknownServerError))
            {
                throw Failure(topic, failed.Keys, failed, "fetch", null, retriable: false);
            }
            ConsumerLog.OffsetsRetry(_logger, GroupId, coordinator.Id,
                string.Join(", ", failed.Select(kv => $"{topic}/{kv.Key}: {KafkaErrors.GetName(kv.Value)}")), attempt + 1);
        }
    }

    /// <summary>The group's coordinator: remembered until a request says it moved.</summary>
    public async Task<Broker> GetCoordinatorAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_coordinator is { } known && _cluster.Brokers.TryGetValue(known.Id, out var current) && ReferenceEquals(current, known))
            {
                return known;
            }
        }
        await _cluster.EnsureMetadataAsync(cancellationToken).ConfigureAwait(false);
        var candidates = _cluster.Brokers.Values.ToArray();
        Random.Shared.Shuffle(candidates);
        KafkaException? lastError = null;
        foreach (var broker in candidates)
        {
            FindCoordinatorResponse response;
            try
            {
                response = await broker.SendAsync(ConnectionKind.General, new FindCoordinatorRequest { Keys = [GroupId] }, cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaException ex) when (ex.IsRetriable)
            {
                lastError = ex;
                continue;
            }
            var result = response.Coordinators.FirstOrDefault(c => c.Key == GroupId) ?? response.Coordinators.FirstOrDefault();
            if (result is null)
            {
                throw new KafkaProtocolException($"Broker {broker.Id} answered FindCoordinator for group '{GroupId}' without a coordinator.");
            }
            if (result.ErrorCode != KafkaErrorCode.None)
            {
                var error = new KafkaBrokerException(result.ErrorCode,
                    $"Finding the coordinator of group '{GroupId}' failed: {KafkaErrors.GetName(result.ErrorCode)}{(result.ErrorMessage is null ? "" : $" ({result.ErrorMessage})")}.");
                // COORDINATOR_NOT_AVAILABLE (being elected or loaded) is retriable: the caller backs off and asks again.
                throw error;
            }
            if (!_cluster.Brokers.TryGetValue(result.NodeId, out var coordinator))
            {
                await _cluster.Metadata.WaitForRefreshAsync(
                    $"the coordinator of group '{GroupId}', broker {result.NodeId}, is not in the metadata", cancellationToken).ConfigureAwait(false);
                if (!_cluster.Brokers.TryGetValue(result.NodeId, out coordinator))
                {
                    throw new KafkaBrokerException(KafkaErrorCode.CoordinatorNotAvailable,
                        $"The coordinator of group '{GroupId}', broker {result.NodeId}, is not in the cluster metadata.");
                }
            }
            lock (_lock)
            {
                _coordinator = coordinator;
            }
            ConsumerLog.CoordinatorFound(_logger, GroupId, coordinator.Id);
            return coordinator;
        }
        throw lastError ?? new NoBrokersAvailableException([]);
    }

    /// <summary>Looks the coordinator up again (a group member's coordinator moved or cannot be reached).</summary>
    public Task<Broker> FindCoordinatorAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _coordinator = null;
        }
        return GetCoordinatorAsync(cancellationToken);
    }

    /// <summary>
    /// The errors by which a commit tells a group member that its generation (or, with the consumer group protocol,
    /// its member epoch) is over: retrying the same commit cannot help.
    /// </summary>
    public static bool IsGroupError(KafkaErrorCode error) =>
        error is KafkaErrorCode.RebalanceInProgress or KafkaErrorCode.IllegalGeneration
            or KafkaErrorCode.UnknownMemberId or KafkaErrorCode.FencedInstanceId
            or KafkaErrorCode.StaleMemberEpoch or KafkaErrorCode.FencedMemberEpoch;

    private void Forget(Broker coordinator)
    {
        lock (_lock)
        {
            if (ReferenceEquals(_coordinator, coordinator))
            {
                _coordinator = null;
            }
        }
    }

    private async Task<TResponse> SendAsync<TResponse>(Broker coordinator, KafkaRequest<TResponse> request, CancellationToken cancellationToken)
    {
        try
        {
            return await coordinator.SendAsync(ConnectionKind.OffsetsChannel, request, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaException ex) when (ex.IsRetriable)
        {
            ConsumerLog.OffsetsRetry(_logger, GroupId, coordinator.Id, ex.Message, 0);
            Forget(coordinator);
            throw;
        }
    }

    private static bool IsCoordinatorError(KafkaErrorCode error) =>
        error is KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable;

    private KafkaOffsetCommitException Failure(
        string topic, IEnumerable<int> partitions, Dictionary<int, KafkaErrorCode> errors, string what, Exception? cause, bool retriable = true)
    {
        var failed = partitions.ToDictionary(id => id, id => errors.GetValueOrDefault(id, KafkaErrorCode.None));
        var detail = failed.Values.Any(e => e != KafkaErrorCode.None)
            ? string.Join(", ", failed.Select(kv => $"{topic}/{kv.Key}: {KafkaErrors.GetName(kv.Value)}"))
            : cause?.Message ?? "no answer";
        var message = retriable
            ? $"Offset {what} for group '{GroupId}' failed after {_maxRetries + 1} attempts: {detail}."
            : $"Offset {what} for group '{GroupId}' failed: {detail}.";
        return new KafkaOffsetCommitException(GroupId, topic, failed, message, retriable, cause);
    }
}
