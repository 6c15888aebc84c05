using Kafka.Client.Internal;
using Kafka.Client.Protocol;

namespace Kafka.Client.Admin;

public sealed partial class KafkaAdmin
{
    /// <summary>
    /// Every group of the cluster (ListGroups on every broker, each listing the groups it coordinates), optionally
    /// only those in some states (Kafka 2.6+) or of some types (Kafka 3.8+).
    /// </summary>
    /// <param name="states">Only groups in these states (Stable, Empty, PreparingRebalance...); null or empty for all.</param>
    /// <param name="types">Only groups of these types (classic, consumer, share); null or empty for all.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The groups, ordered by id.</returns>
    /// <exception cref="KafkaException">A broker could not be asked, or refused (its groups would be missing).</exception>
    public async Task<IReadOnlyList<GroupListing>> ListGroupsAsync(
        IEnumerable<string>? states = null, IEnumerable<string>? types = null, CancellationToken cancellationToken = default)
    {
        var stateFilter = states?.ToArray() ?? [];
        var typeFilter = types?.ToArray() ?? [];
        await EnsureMetadataAsync(cancellationToken).ConfigureAwait(false);
        var brokers = _cluster.Brokers.Values.OrderBy(b => b.Id).ToArray();
        var answers = await Task.WhenAll(brokers.Select(broker => RetryAsync(async token =>
        {
            var response = await broker.SendAsync(ConnectionKind.General, new ListGroupsRequest { StatesFilter = stateFilter, TypesFilter = typeFilter }, token).ConfigureAwait(false);
            if (ErrorOf(response.ErrorCode, null, $"Listing the groups of broker {broker.Id}") is { } error)
            {
                throw error;
            }
            return response.Groups.Select(g => new GroupListing(g.GroupId, g.ProtocolType, g.GroupState, g.GroupType, broker.Id));
        }, _cluster.Settings.SocketTimeout, cancellationToken))).ConfigureAwait(false);
        return [.. answers.SelectMany(a => a).OrderBy(g => g.GroupId, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The state, protocol and members of groups, with each member's assigned partitions (DescribeGroups on each
    /// group's coordinator).
    /// </summary>
    /// <param name="groupIds">The groups.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One description per group, in the order given; a group that could not be described carries its error.</returns>
    public async Task<IReadOnlyList<GroupDescription>> DescribeGroupsAsync(IEnumerable<string> groupIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        var list = Distinct(groupIds.ToList(), g => g, nameof(groupIds));
        var results = new Dictionary<string, GroupDescription>(StringComparer.Ordinal);
        await RetryItemsAsync(list, async (pending, token) =>
        {
            var retry = new List<string>();
            var answers = await Task.WhenAll(pending.Select(async group =>
            {
                try
                {
                    var coordinator = await FindCoordinatorAsync(group, token).ConfigureAwait(false);
                    var response = await coordinator.SendAsync(ConnectionKind.General, new DescribeGroupsRequest { Groups = [group] }, token).ConfigureAwait(false);
                    return (group, coordinator.Id, Answer: response.Groups.FirstOrDefault(g => g.GroupId == group), Error: (KafkaException?)null);
                }
                catch (KafkaException ex) when (ex.IsRetriable)
                {
                    return (group, -1, null, ex);
                }
            })).ConfigureAwait(false);
            foreach (var (group, coordinatorId, answer, failure) in answers)
            {
                var code = failure is KafkaBrokerException broker ? broker.ErrorCode : answer?.ErrorCode ?? KafkaErrorCode.UnknownServerError;
                var error = failure is not null
                    ? new KafkaBrokerException(code, $"Describing group '{group}' failed: {failure.Message}", failure)
                    : ErrorOf(code, answer?.ErrorMessage, $"Describing group '{group}'");
                results[group] = error is null
                    ? new GroupDescription(group, answer!.GroupState, answer.ProtocolType, answer.ProtocolData,
                        [.. answer.Members.Select(m => new GroupMemberDescription(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost, Assignment(answer.ProtocolType, m.MemberAssignment), Subscription(answer.ProtocolType, m.MemberMetadata)))],
                        coordinatorId, null)
                    : new GroupDescription(group, answer?.GroupState ?? "", answer?.ProtocolType ?? "", answer?.ProtocolData ?? "", [], coordinatorId, error);
                if (failure is not null || IsRetriableAdminError(code))
                {
                    retry.Add(group);
                }
            }
            return retry;
        }, _cluster.Settings.SocketTimeout, cancellationToken).ConfigureAwait(false);
        return [.. list.Select(g => results[g])];
    }

    private static TopicAndPartition[] Assignment(string protocolType, byte[] bytes)
    {
        if (protocolType != "consumer" || bytes.Length == 0)
        {
            return [];
        }
        try
        {
            return [.. ConsumerProtocol.ReadAssignment(bytes).Partitions.Order()];
        }
        catch (KafkaProtocolException)
        {
            return []; // a member of another client whose assignment is not the consumer protocol's
        }
    }

    private static string[] Subscription(string protocolType, byte[] bytes)
    {
        if (protocolType != "consumer" || bytes.Length == 0)
        {
            return [];
        }
        try
        {
            return [.. ConsumerProtocol.ReadSubscription(bytes).Topics.Order(StringComparer.Ordinal)];
        }
        catch (KafkaProtocolException)
        {
            return [];
        }
    }

    /// <summary>
    /// Deletes groups and their committed offsets (DeleteGroups on each group's coordinator, Kafka 1.1+). A group with
    /// members fails with NON_EMPTY_GROUP.
    /// </summary>
    /// <param name="groupIds">The groups.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One result per group, in the order given.</returns>
    public async Task<IReadOnlyList<GroupResult>> DeleteGroupsAsync(IEnumerable<string> groupIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(groupIds);
        var list = Distinct(groupIds.ToList(), g => g, nameof(groupIds));
        var results = new Dictionary<string, GroupResult>(StringComparer.Ordinal);
        await RetryItemsAsync(list, async (pending, token) =>
        {
            var retry = new List<string>();
            foreach (var group in pending)
            {
                KafkaErrorCode code;
                string? message = null;
                try
                {
                    var coordinator = await FindCoordinatorAsync(group, token).ConfigureAwait(false);
                    var response = await coordinator.SendAsync(ConnectionKind.General, new DeleteGroupsRequest { GroupsNames = [group] }, token).ConfigureAwait(false);
                    code = response.Results.FirstOrDefault(r => r.GroupId == group)?.ErrorCode ?? KafkaErrorCode.UnknownServerError;
                }
                catch (KafkaBrokerException ex) when (ex.IsRetriable)
                {
                    (code, message) = (ex.ErrorCode, ex.Message);
                }
                results[group] = new GroupResult(group, ErrorOf(code, message, $"Deleting group '{group}'"));
                if (IsRetriableAdminError(code))
                {
                    retry.Add(group);
                }
            }
            return retry;
        }, _cluster.Settings.SocketTimeout, cancellationToken).ConfigureAwait(false);
        return [.. list.Select(g => results[g])];
    }

    /// <summary>
    /// A group's committed offsets (OffsetFetch on its coordinator): of every partition it committed, or of the
    /// partitions given (-1 where it has none).
    /// </summary>
    /// <param name="groupId">The group.</param>
    /// <param name="partitions">The partitions to read, or null for every partition the group committed.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One result per partition, ordered by topic and partition.</returns>
    /// <exception cref="KafkaBrokerException">The coordinator refused the whole group (GROUP_AUTHORIZATION_FAILED...).</exception>
    public Task<IReadOnlyList<PartitionOffsetResult>> ListGroupOffsetsAsync(
        string groupId, IEnumerable<TopicAndPartition>? partitions = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        var asked = partitions?.Distinct().Order().ToList();
        return RetryAsync<IReadOnlyList<PartitionOffsetResult>>(async token =>
        {
            var coordinator = await FindCoordinatorAsync(groupId, token).ConfigureAwait(false);
            var request = new OffsetFetchRequest
            {
                GroupId = groupId,
                Topics = asked is null ? null : [.. asked.GroupBy(p => p.Topic).Select(g => new OffsetFetchTopic(g.Key, [.. g.Select(p => p.Partition)]))],
            };
            var response = await coordinator.SendAsync(ConnectionKind.OffsetsChannel, request, token).ConfigureAwait(false);
            if (ErrorOf(response.ErrorCode, null, $"Reading the offsets of group '{groupId}'") is { } error)
            {
                throw error;
            }
            var results = new List<PartitionOffsetResult>();
            foreach (var topic in response.Topics)
            {
                foreach (var p in topic.Partitions)
                {
                    if (IsRetriableAdminError(p.ErrorCode))
                    {
                        throw ErrorOf(p.ErrorCode, null, $"Reading the offsets of group '{groupId}'")!;
                    }
                    var tp = new TopicAndPartition(topic.Name, p.PartitionIndex);
                    results.Add(new PartitionOffsetResult(tp, p.CommittedOffset, ErrorOf(p.ErrorCode, null, $"Reading the offset of group '{groupId}' for {tp}")));
                }
            }
            return [.. results.OrderBy(r => r.Partition)];
        }, _cluster.Settings.SocketTimeout, cancellationToken);
    }

    /// <summary>
    /// Sets a group's committed offsets (OffsetCommit on its coordinator, outside any generation). The coordinator
    /// refuses while the group has live members (UNKNOWN_MEMBER_ID for each partition): stop them first.
    /// </summary>
    /// <param name="groupId">The group.</param>
    /// <param name="offsets">Partition to the offset the group is to resume from.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One result per partition, ordered by topic and partition.</returns>
    public async Task<IReadOnlyList<PartitionOffsetResult>> AlterGroupOffsetsAsync(
        string groupId, IReadOnlyDictionary<TopicAndPartition, long> offsets, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentNullException.ThrowIfNull(offsets);
        var list = offsets.OrderBy(kv => kv.Key).ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("No offsets given.", nameof(offsets));
        }
        var results = new Dictionary<TopicAndPartition, PartitionOffsetResult>();
        await RetryItemsAsync(list, async (pending, token) =>
        {
            var coordinator = await FindCoordinatorAsync(groupId, token).ConfigureAwait(false);
            var request = new OffsetCommitRequest
            {
                GroupId = groupId,
                Topics = [.. pending.GroupBy(kv => kv.Key.Topic).Select(g => new OffsetCommitTopic(g.Key, [.. g.Select(kv => new OffsetCommitPartition(kv.Key.Partition, kv.Value))]))],
            };
            var response = await coordinator.SendAsync(ConnectionKind.OffsetsChannel, request, token).ConfigureAwait(false);
            var retry = new List<KeyValuePair<TopicAndPartition, long>>();
            foreach (var item in pending)
            {
                var answer = response.Topics.Where(t => t.Name == item.Key.Topic).SelectMany(t => t.Partitions).Where(p => p.PartitionIndex == item.Key.Partition).ToList();
                var code = answer.Count > 0 ? answer[0].ErrorCode : KafkaErrorCode.UnknownServerError;
                results[item.Key] = new PartitionOffsetResult(item.Key, item.Value, ErrorOf(code, null, $"Committing offset {item.Value} of group '{groupId}' for {item.Key}"));
                if (IsRetriableAdminError(code))
                {
                    retry.Add(item);
                }
            }
            return retry;
        }, _cluster.Settings.SocketTimeout, cancellationToken).ConfigureAwait(false);
        return [.. list.Select(kv => results[kv.Key])];
    }

    /// <summary>The group's coordinator (FindCoordinator); COORDINATOR_NOT_AVAILABLE is a retriable error.</summary>
    private async Task<Broker> FindCoordinatorAsync(string groupId, CancellationToken cancellationToken)
    {
        var response = await AnyBroker().SendAsync(ConnectionKind.General, new FindCoordinatorRequest { Keys = [groupId] }, cancellationToken).ConfigureAwait(false);
        var result = response.Coordinators.FirstOrDefault(c => c.Key == groupId) ?? response.Coordinators.FirstOrDefault()
            ?? throw new KafkaProtocolException($"FindCoordinator for group '{groupId}' was answered without a coordinator.");
        if (ErrorOf(result.ErrorCode, result.ErrorMessage, $"Finding the coordinator of group '{groupId}'") is { } error)
        {
            throw error;
        }
        if (!_cluster.Brokers.TryGetValue(result.NodeId, out var coordinator))
        {
            await _cluster.Metadata.WaitForRefreshAsync($"the coordinator of group '{groupId}', broker {result.NodeId}, is not in the metadata", cancellationToken)
                .ConfigureAwait(false);
            coordinator = _cluster.Brokers.GetValueOrDefault(result.NodeId)
                ?? throw new KafkaBrokerException(KafkaErrorCode.CoordinatorNotAvailable, $"The coordinator of group '{groupId}', broker {result.NodeId}, is not in the cluster metadata.");
        }
        return coordinator;
    }
}
