using Kafka.Client.Protocol;

namespace Kafka.Client.Internal;

/// <summary>
/// ListOffsets for a topic's partitions: one request per leader, sent in parallel; partitions whose leader moved
/// or was unknown are retried after a metadata refresh.
/// </summary>
internal sealed class OffsetLookup
{
    private const int MaxAttempts = 4;
    private readonly Cluster _cluster;

    public OffsetLookup(Cluster cluster) => _cluster = cluster;

    public async Task<IReadOnlyDictionary<int, long>> ListAsync(Topic topic, IEnumerable<int> partitionIds, long timestamp, CancellationToken cancellationToken)
    {
        var results = new Dictionary<int, long>();
        var remaining = new List<int>(partitionIds);
        Exception? lastError = null;
        for (var attempt = 1; remaining.Count > 0; attempt++)
        {
            string? stale = null;
            var byLeader = new Dictionary<Broker, List<int>>();
            var retry = new List<int>();
            foreach (var id in remaining)
            {
                var leader = topic.Partitions.TryGetValue(id, out var partition) ? partition.Leader : null;
                if (leader is null)
                {
                    retry.Add(id);
                    lastError = new KafkaBrokerException(KafkaErrorCode.LeaderNotAvailable, $"Partition {topic.Name}/{id} has no leader.");
                    stale ??= $"partition {topic.Name}/{id} has no known leader";
                    continue;
                }
                if (!byLeader.TryGetValue(leader, out var list))
                {
                    byLeader[leader] = list = [];
                }
                list.Add(id);
            }

            var requests = new List<Task<(Broker Leader, List<int> Ids, ListOffsetsResponse? Response, Exception? Error)>>(byLeader.Count);
            foreach (var (leader, ids) in byLeader)
            {
                requests.Add(SendAsync(topic, leader, ids, timestamp, cancellationToken));
            }
            foreach (var (leader, ids, response, error) in await Task.WhenAll(requests).ConfigureAwait(false))
            {
                if (error is not null)
                {
                    if (error is KafkaException { IsRetriable: true })
                    {
                        retry.AddRange(ids);
                        lastError = error;
                        continue;
                    }
                    throw error;
                }
                var answered = new HashSet<int>();
                foreach (var topicResponse in response!.Topics)
                {
                    foreach (var p in topicResponse.Partitions)
                    {
                        answered.Add(p.PartitionIndex);
                        if (p.ErrorCode == KafkaErrorCode.None)
                        {
                            results[p.PartitionIndex] = p.Offset;
                        }
                        else if (KafkaErrors.IsRetriable(p.ErrorCode))
                        {
                            retry.Add(p.PartitionIndex);
                            if (MeansStaleMetadata(p.ErrorCode))
                            {
                                stale ??= $"{leader} answered {KafkaErrors.GetName(p.ErrorCode)} for {topic.Name}/{p.PartitionIndex}";
                            }
                            lastError = new KafkaBrokerException(p.ErrorCode,
                                $"Listing offsets of {topic.Name}/{p.PartitionIndex} on {leader} failed: {KafkaErrors.GetName(p.ErrorCode)}.");
                        }
                        else
                        {
                            throw new KafkaBrokerException(p.ErrorCode,
                                $"Listing offsets of {topic.Name}/{p.PartitionIndex} on {leader} failed: {KafkaErrors.GetName(p.ErrorCode)}.");
                        }
                    }
                }
                foreach (var id in ids)
                {
                    if (!answered.Contains(id))
                    {
                        throw new KafkaProtocolException($"{leader} did not answer for {topic.Name}/{id} in its ListOffsets response.");
                    }
                }
            }

            remaining = retry;
            if (remaining.Count == 0)
            {
                break;
            }
            if (attempt >= MaxAttempts)
            {
                throw lastError!;
            }
            // Leadership moved, is unknown or its broker cannot be reached: wait for metadata newer than what was seen
            // (the metadata loop spaces refreshes out), then try the partitions left at their (new) leaders.
            await _cluster.Metadata.WaitForRefreshAsync(
                stale ?? $"listing offsets of {topic.Name} failed: {lastError!.Message}", cancellationToken).ConfigureAwait(false);
        }
        return results;
    }

    /// <summary>Errors by which a partition's leader says the client's metadata is out of date.</summary>
    internal static bool MeansStaleMetadata(KafkaErrorCode code) =>
        code is KafkaErrorCode.NotLeaderOrFollower or KafkaErrorCode.UnknownTopicOrPartition or KafkaErrorCode.LeaderNotAvailable
            or KafkaErrorCode.FencedLeaderEpoch or KafkaErrorCode.UnknownLeaderEpoch;

    private async Task<(Broker, List<int>, ListOffsetsResponse?, Exception?)> SendAsync(
        Topic topic, Broker leader, List<int> ids, long timestamp, CancellationToken cancellationToken)
    {
        var partitions = new ListOffsetsPartition[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            var epoch = topic.Partitions.TryGetValue(ids[i], out var partition) ? partition.LeaderEpoch : -1;
            partitions[i] = new ListOffsetsPartition(ids[i], timestamp, epoch);
        }
        var request = new ListOffsetsRequest { Topics = [new ListOffsetsTopic(topic.Name, partitions)] };
        try
        {
            // Connection attempts are retried by the connection slot, not again by the request's pipeline.
            await leader.GetConnectionAsync(ConnectionKind.General, cancellationToken).ConfigureAwait(false);
            var response = await _cluster.Settings.Resilience.ExecuteAsync(
                static (state, token) => new ValueTask<ListOffsetsResponse>(state.leader.SendAsync(ConnectionKind.General, state.request, token)),
                (leader, request),
                cancellationToken).ConfigureAwait(false);
            return (leader, ids, response, null);
        }
        catch (KafkaException ex)
        {
            return (leader, ids, null, ex);
        }
    }
}
