namespace Kafka.Client.Internal.Groups;

/// <summary>Checks and shapes what the built-in assignors are given and return.</summary>
internal static class AssignorInput
{
    /// <summary>
    /// The members in Kafka's assignor order (<see cref="GroupMemberSubscription.Compare"/>), after checking that
    /// none is null and that member ids are unique.
    /// </summary>
    public static GroupMemberSubscription[] SortedMembers(IReadOnlyList<GroupMemberSubscription> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(partitionsPerTopic);
        var sorted = new GroupMemberSubscription[members.Count];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < sorted.Length; i++)
        {
            var member = members[i] ?? throw new ArgumentException("A member is null.", nameof(members));
            if (!ids.Add(member.MemberId))
            {
                throw new ArgumentException($"Member id '{member.MemberId}' appears more than once.", nameof(members));
            }
            sorted[i] = member;
        }
        Array.Sort(sorted, GroupMemberSubscription.Compare);
        return sorted;
    }

    /// <summary>Every topic some member subscribes to, ordinal order, without duplicates.</summary>
    public static string[] SubscribedTopics(GroupMemberSubscription[] members)
    {
        var topics = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            foreach (var topic in member.Topics)
            {
                if (topic is not null)
                {
                    topics.Add(topic);
                }
            }
        }
        return [.. topics];
    }

    /// <summary>An empty result list per member.</summary>
    public static Dictionary<string, List<TopicAndPartition>> EmptyResult(GroupMemberSubscription[] members)
    {
        var result = new Dictionary<string, List<TopicAndPartition>>(members.Length, StringComparer.Ordinal);
        foreach (var member in members)
        {
            result[member.MemberId] = [];
        }
        return result;
    }

    /// <summary>The result, each member's partitions sorted by topic and number.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<TopicAndPartition>> Freeze(Dictionary<string, List<TopicAndPartition>> result)
    {
        var frozen = new Dictionary<string, IReadOnlyList<TopicAndPartition>>(result.Count, StringComparer.Ordinal);
        foreach (var (memberId, partitions) in result)
        {
            partitions.Sort();
            frozen[memberId] = partitions.ToArray();
        }
        return frozen;
    }

    /// <summary>A topic's partition count; 0 when the topic is unknown (a negative count is a caller error).</summary>
    public static int PartitionCount(IReadOnlyDictionary<string, int> partitionsPerTopic, string topic)
    {
        if (!partitionsPerTopic.TryGetValue(topic, out var count))
        {
            return 0;
        }
        return count >= 0
            ? count
            : throw new ArgumentException($"Topic '{topic}' has a negative partition count ({count}).", nameof(partitionsPerTopic));
    }
}
