using Kafka.Client.Protocol;

namespace Kafka.Client.Admin;

public sealed partial class KafkaAdmin
{
    /// <summary>
    /// How far a group is behind: for every partition it has committed offsets for, the committed offset against the
    /// partition's end offset (high watermark). Works for any group that commits to Kafka, including groups without
    /// members and pykafka-style simple consumers with a group.
    /// </summary>
    /// <param name="groupId">The group.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="KafkaBrokerException">The coordinator refused the group.</exception>
    public Task<ConsumerGroupLag> GetConsumerLagAsync(string groupId, CancellationToken cancellationToken = default) =>
        GetConsumerLagAsync(groupId, null, cancellationToken);

    /// <summary>
    /// How far a group is behind on the partitions of <paramref name="topics"/> (pykafka's <c>print_consumer_lag</c>):
    /// every partition of each topic, with -1 and no lag where the group has committed nothing. With
    /// <paramref name="topics"/> null, every partition the group has committed offsets for.
    /// </summary>
    /// <param name="groupId">The group.</param>
    /// <param name="topics">The topics, or null for every topic the group committed offsets of.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="KafkaBrokerException">The coordinator refused the group, or a topic does not exist.</exception>
    public async Task<ConsumerGroupLag> GetConsumerLagAsync(string groupId, IEnumerable<string>? topics, CancellationToken cancellationToken = default)
    {
        List<TopicAndPartition>? partitions = null;
        if (topics is not null)
        {
            await _cluster.UpdateAsync(cancellationToken).ConfigureAwait(false);
            partitions = [];
            foreach (var name in topics.Distinct())
            {
                if (!_cluster.Snapshot.Topics.TryGetValue(name, out var metadata) || metadata.ErrorCode != KafkaErrorCode.None)
                {
                    throw new KafkaBrokerException(KafkaErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
                }
                partitions.AddRange(metadata.Partitions.Select(p => new TopicAndPartition(name, p.PartitionIndex)));
            }
        }
        var committed = (await ListGroupOffsetsAsync(groupId, partitions, cancellationToken).ConfigureAwait(false))
            .Where(r => r.Succeeded && (partitions is not null || r.Offset >= 0))
            .ToList();
        var ends = await EndOffsetsAsync(committed.Select(r => r.Partition), cancellationToken).ConfigureAwait(false);
        return new ConsumerGroupLag(groupId, [.. committed.Select(r =>
        {
            var end = ends.GetValueOrDefault(r.Partition, -1);
            return new PartitionLag(r.Partition, r.Offset, end, end < 0 || r.Offset < 0 ? null : Math.Max(0, end - r.Offset));
        })]);
    }

    /// <summary>
    /// The lag of every consumer group of the cluster (groups of protocol type <c>consumer</c>, and groups that only
    /// commit offsets), ordered by group id. Uses <see cref="ListGroupsAsync"/>, then one
    /// <see cref="GetConsumerLagAsync(string, CancellationToken)"/> per group.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<IReadOnlyList<ConsumerGroupLag>> GetConsumerLagAsync(CancellationToken cancellationToken = default)
    {
        var groups = await ListGroupsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var lags = new List<ConsumerGroupLag>();
        foreach (var group in groups.Where(g => g.ProtocolType is "consumer" or ""))
        {
            lags.Add(await GetConsumerLagAsync(group.GroupId, cancellationToken).ConfigureAwait(false));
        }
        return lags;
    }

    /// <summary>The end offset (high watermark) of each partition whose topic the cluster still has.</summary>
    private async Task<Dictionary<TopicAndPartition, long>> EndOffsetsAsync(IEnumerable<TopicAndPartition> partitions, CancellationToken cancellationToken)
    {
        var ends = new Dictionary<TopicAndPartition, long>();
        var byTopic = partitions.GroupBy(p => p.Topic).ToList();
        if (byTopic.Count == 0)
        {
            return ends;
        }
        if (byTopic.Any(g => !_cluster.Snapshot.Topics.ContainsKey(g.Key)))
        {
            await _cluster.Metadata.WaitForRefreshAsync("the lag of a group names topics the metadata does not have", cancellationToken).ConfigureAwait(false);
        }
        foreach (var topic in byTopic)
        {
            // Looked up without auto-creation: a deleted topic must not come back because its lag was asked for.
            if (!_cluster.Snapshot.Topics.TryGetValue(topic.Key, out var metadata) || metadata.ErrorCode != KafkaErrorCode.None)
            {
                continue;
            }
            // A topic user code holds is kept current by refreshes; an internal one hidden from the dictionary gets a handle of its own.
            var handle = _cluster.Topics.TryGetValue(topic.Key, out var held) ? held : new Topic(_cluster, metadata);
            var known = topic.Select(p => p.Partition).Where(handle.Partitions.ContainsKey).ToList();
            foreach (var (partition, offset) in await _cluster.Offsets.ListAsync(handle, known, (long)OffsetType.Latest, cancellationToken).ConfigureAwait(false))
            {
                ends[new TopicAndPartition(topic.Key, partition)] = offset;
            }
        }
        return ends;
    }
}
