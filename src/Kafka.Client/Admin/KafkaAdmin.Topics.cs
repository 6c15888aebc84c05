using Kafka.Client.Internal;
using Kafka.Client.Protocol;

namespace Kafka.Client.Admin;

public sealed partial class KafkaAdmin
{
    /// <summary>
    /// Creates topics (CreateTopics on the controller). Each topic's result says whether it was created; one that
    /// exists already fails alone with TOPIC_ALREADY_EXISTS. The client's metadata is refreshed afterwards, so the new
    /// topics are in <see cref="KafkaClient.Topics"/> at once.
    /// </summary>
    /// <param name="topics">The topics, with partition counts, replication factors or assignments, and configs.</param>
    /// <param name="options">Operation timeout and validate-only; defaults when null.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One result per topic, in the order given.</returns>
    /// <exception cref="ArgumentException">No topics, a topic named twice, or an assignment together with a partition count or replication factor.</exception>
    /// <exception cref="KafkaVersionException">The brokers lack CreateTopics (a topic asking for the broker's defaults from brokers before
    /// Kafka 2.4 fails alone, with UNSUPPORTED_VERSION).</exception>
    public async Task<IReadOnlyList<TopicResult>> CreateTopicsAsync(
        IEnumerable<NewTopic> topics, AdminRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topics);
        options ??= Defaults;
        var list = Distinct(topics.ToList(), t => t.Name, nameof(topics));
        foreach (var topic in list)
        {
            if (topic.ReplicaAssignment.Count > 0 && (topic.Partitions != -1 || topic.ReplicationFactor != -1))
            {
                throw new ArgumentException($"Topic '{topic.Name}' has a replica assignment: leave Partitions and ReplicationFactor at -1.", nameof(topics));
            }
        }
        var results = new Dictionary<string, TopicResult>(StringComparer.Ordinal);
        await RetryItemsAsync(list, async (pending, token) =>
        {
            var controller = Controller();
            var connection = await controller.GetConnectionAsync(ConnectionKind.General, token).ConfigureAwait(false);
            var version = connection.Versions.Negotiate(KnownApis.CreateTopics);
            if (version < 4)
            {
                // Before v4 (Kafka 2.4) a topic cannot ask for the broker's defaults: that topic fails alone.
                var needDefaults = pending.Where(t => t.ReplicaAssignment.Count == 0 && (t.Partitions < 0 || t.ReplicationFactor < 0)).ToList();
                foreach (var topic in needDefaults)
                {
                    results[topic.Name] = new TopicResult(topic.Name, Guid.Empty, new KafkaBrokerException(KafkaErrorCode.UnsupportedVersion,
                        $"Creating topic '{topic.Name}' failed: the broker's default partition count or replication factor needs CreateTopics v4 (Kafka 2.4); {controller} speaks v{version}. Give both."));
                }
                pending = [.. pending.Except(needDefaults)];
                if (pending.Count == 0)
                {
                    return [];
                }
            }
            var request = new CreateTopicsRequest
            {
                Topics = [.. pending.Select(t => new CreatableTopic(
                    t.Name, t.Partitions, t.ReplicationFactor,
                    [.. t.ReplicaAssignment.Select(a => new CreatableReplicaAssignment(a.Key, a.Value))],
                    [.. t.Configs]))],
                TimeoutMs = TimeoutMs(options),
                ValidateOnly = options.ValidateOnly,
            };
            var response = await connection.SendAsync(request, version, controller.TimeoutFor(ConnectionKind.General), token).ConfigureAwait(false);
            return TopicResults(pending, t => t.Name, name => response.Topics.FirstOrDefault(r => r.Name == name) is { } a ? (a.ErrorCode, a.ErrorMessage, a.TopicId) : null,
                "Creating", results);
        }, options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        if (!options.ValidateOnly && results.Values.Any(r => r.Succeeded))
        {
            await _cluster.UpdateAsync(cancellationToken).ConfigureAwait(false);
        }
        return [.. list.Select(t => results[t.Name])];
    }

    /// <summary>
    /// Deletes topics (DeleteTopics on the controller). A topic that does not exist fails alone with
    /// UNKNOWN_TOPIC_OR_PARTITION. The client's metadata is refreshed afterwards.
    /// </summary>
    /// <param name="topics">The topic names.</param>
    /// <param name="options">Operation timeout; defaults when null (validate-only does not apply).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One result per topic, in the order given.</returns>
    public async Task<IReadOnlyList<TopicResult>> DeleteTopicsAsync(
        IEnumerable<string> topics, AdminRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topics);
        options ??= Defaults;
        var list = Distinct(topics.ToList(), t => t, nameof(topics));
        var results = new Dictionary<string, TopicResult>(StringComparer.Ordinal);
        await RetryItemsAsync(list, async (pending, token) =>
        {
            var request = new DeleteTopicsRequest { TopicNames = pending, TimeoutMs = TimeoutMs(options) };
            var response = await Controller().SendAsync(ConnectionKind.General, request, token).ConfigureAwait(false);
            return TopicResults(pending, t => t, name => response.Results.FirstOrDefault(r => r.Name == name) is { } a ? (a.ErrorCode, a.ErrorMessage, a.TopicId) : null,
                "Deleting", results);
        }, options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        if (results.Values.Any(r => r.Succeeded))
        {
            await _cluster.UpdateAsync(cancellationToken).ConfigureAwait(false);
        }
        return [.. list.Select(t => results[t])];
    }

    /// <summary>
    /// Raises topics' partition counts (CreatePartitions on the controller). Kafka cannot remove partitions: a count
    /// not above the current one fails with INVALID_PARTITIONS for that topic.
    /// </summary>
    /// <param name="newCounts">Topic name to the total number of partitions it is to have.</param>
    /// <param name="options">Operation timeout and validate-only; defaults when null.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One result per topic.</returns>
    public async Task<IReadOnlyList<TopicResult>> CreatePartitionsAsync(
        IReadOnlyDictionary<string, int> newCounts, AdminRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(newCounts);
        options ??= Defaults;
        var list = newCounts.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("No topics given.", nameof(newCounts));
        }
        var results = new Dictionary<string, TopicResult>(StringComparer.Ordinal);
        await RetryItemsAsync(list, async (pending, token) =>
        {
            var request = new CreatePartitionsRequest
            {
                Topics = [.. pending.Select(kv => new CreatePartitionsTopic(kv.Key, kv.Value, null))],
                TimeoutMs = TimeoutMs(options),
                ValidateOnly = options.ValidateOnly,
            };
            var response = await Controller().SendAsync(ConnectionKind.General, request, token).ConfigureAwait(false);
            return TopicResults(pending, kv => kv.Key, name => response.Results.FirstOrDefault(r => r.Name == name) is { } a ? (a.ErrorCode, a.ErrorMessage, Guid.Empty) : null,
                "Adding partitions to", results);
        }, options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        if (!options.ValidateOnly && results.Values.Any(r => r.Succeeded))
        {
            await _cluster.UpdateAsync(cancellationToken).ConfigureAwait(false);
        }
        return [.. list.Select(kv => results[kv.Key])];
    }

    /// <summary>
    /// Deletes the records before the given offsets (DeleteRecords on each partition's leader): the partitions' log
    /// start offsets move up to them. -1 deletes everything up to the high watermark.
    /// </summary>
    /// <param name="beforeOffsets">Partition to the first offset to keep.</param>
    /// <param name="options">Operation timeout; defaults when null.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One result per partition, with its new log start offset.</returns>
    public async Task<IReadOnlyList<PartitionOffsetResult>> DeleteRecordsAsync(
        IReadOnlyDictionary<TopicAndPartition, long> beforeOffsets, AdminRequestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(beforeOffsets);
        options ??= Defaults;
        var list = beforeOffsets.OrderBy(kv => kv.Key).ToList();
        var results = new Dictionary<TopicAndPartition, PartitionOffsetResult>();
        await EnsureMetadataAsync(cancellationToken).ConfigureAwait(false);
        await RetryItemsAsync(list, async (pending, token) =>
        {
            var retry = new List<KeyValuePair<TopicAndPartition, long>>();
            var byLeader = new Dictionary<Broker, List<KeyValuePair<TopicAndPartition, long>>>();
            foreach (var item in pending)
            {
                var leader = LeaderOf(item.Key);
                if (leader is null)
                {
                    results[item.Key] = new PartitionOffsetResult(item.Key, -1, ErrorOf(KafkaErrorCode.LeaderNotAvailable, null, $"Deleting records of {item.Key}"));
                    retry.Add(item);
                    continue;
                }
                (byLeader.TryGetValue(leader, out var group) ? group : byLeader[leader] = []).Add(item);
            }
            var sends = byLeader.Select(async kv =>
            {
                var request = new DeleteRecordsRequest
                {
                    Topics = [.. kv.Value.GroupBy(i => i.Key.Topic).Select(g => new DeleteRecordsTopic(g.Key, [.. g.Select(i => (i.Key.Partition, i.Value))]))],
                    TimeoutMs = TimeoutMs(options),
                };
                return (kv.Value, Response: await kv.Key.SendAsync(ConnectionKind.General, request, token).ConfigureAwait(false));
            });
            foreach (var (items, response) in await Task.WhenAll(sends).ConfigureAwait(false))
            {
                foreach (var item in items)
                {
                    var answer = response.Topics.Where(t => t.Name == item.Key.Topic).SelectMany(t => t.Partitions).FirstOrDefault(p => p.PartitionIndex == item.Key.Partition);
                    var code = answer?.ErrorCode ?? KafkaErrorCode.UnknownServerError;
                    results[item.Key] = new PartitionOffsetResult(item.Key, code == KafkaErrorCode.None ? answer!.LowWatermark : -1,
                        ErrorOf(code, answer is null ? "the leader did not answer for it" : null, $"Deleting records of {item.Key}"));
                    if (IsRetriableAdminError(code) || code == KafkaErrorCode.UnknownTopicOrPartition)
                    {
                        retry.Add(item);
                    }
                }
            }
            return retry;
        }, options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        return [.. list.Select(kv => results[kv.Key])];
    }

    /// <summary>
    /// Records each pending topic's answer (a topic left out of the answer is UNKNOWN_SERVER_ERROR) and returns the
    /// topics to send again: those with a retriable admin error.
    /// </summary>
    private static List<T> TopicResults<T>(
        IReadOnlyList<T> pending, Func<T, string> nameOf, Func<string, (KafkaErrorCode Code, string? Message, Guid Id)?> answerFor,
        string verb, Dictionary<string, TopicResult> results)
    {
        var retry = new List<T>();
        foreach (var item in pending)
        {
            var name = nameOf(item);
            var answer = answerFor(name);
            var code = answer?.Code ?? KafkaErrorCode.UnknownServerError;
            results[name] = new TopicResult(name, answer?.Id ?? Guid.Empty,
                ErrorOf(code, answer is null ? "the broker did not answer for it" : answer.Value.Message, $"{verb} topic '{name}'"));
            if (IsRetriableAdminError(code))
            {
                retry.Add(item);
            }
        }
        return retry;
    }

    private Broker? LeaderOf(TopicAndPartition partition)
    {
        if (!_cluster.Snapshot.Topics.TryGetValue(partition.Topic, out var topic))
        {
            return null;
        }
        foreach (var metadata in topic.Partitions)
        {
            if (metadata.PartitionIndex == partition.Partition)
            {
                return _cluster.Brokers.GetValueOrDefault(metadata.LeaderId);
            }
        }
        return null;
    }

    private static List<T> Distinct<T>(List<T> items, Func<T, string> key, string parameter)
    {
        if (items.Count == 0)
        {
            throw new ArgumentException("Nothing given.", parameter);
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!seen.Add(key(item)))
            {
                throw new ArgumentException($"'{key(item)}' is given more than once.", parameter);
            }
        }
        return items;
    }
}
