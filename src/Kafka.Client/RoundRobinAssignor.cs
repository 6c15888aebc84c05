using Kafka.Client.Internal.Groups;

namespace Kafka.Client;

/// <summary>
/// Kafka's <c>roundrobin</c> assignor: every subscribed partition, ordered by topic name and number, is dealt to the
/// members in member order, one at a time, going round; a member not subscribed to a partition's topic is skipped.
/// </summary>
/// <remarks>
/// <para>
/// Members are ordered as the Java client orders them: static members by group instance id first, then dynamic
/// members by member id (ordinal). With the same input, this assignor gives the same assignment as the Java client's
/// <c>RoundRobinAssignor</c> and librdkafka's <c>roundrobin</c>. When every member subscribes to the same topics,
/// members' partition counts differ by at most one; when subscriptions differ, the result can be unbalanced.
/// </para>
/// <para>
/// Example: members C0 and C1, topics t0 and t1 with 3 partitions each: C0 gets t0/0, t0/2, t1/1 and C1 gets
/// t0/1, t1/0, t1/2.
/// </para>
/// </remarks>
public sealed class RoundRobinAssignor : IPartitionAssignor
{
    /// <summary>The protocol name, <c>roundrobin</c>.</summary>
    public const string ProtocolName = "roundrobin";

    /// <inheritdoc/>
    public string Name => ProtocolName;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, IReadOnlyList<TopicAndPartition>> Assign(
        IReadOnlyList<GroupMemberSubscription> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        var sorted = AssignorInput.SortedMembers(members, partitionsPerTopic);
        var result = AssignorInput.EmptyResult(sorted);
        var next = 0;
        // Topics come from the members' subscriptions, so some member subscribes to each and the skip loop ends.
        foreach (var topic in AssignorInput.SubscribedTopics(sorted))
        {
            var partitionCount = AssignorInput.PartitionCount(partitionsPerTopic, topic);
            for (var p = 0; p < partitionCount; p++)
            {
                while (!sorted[next].SubscribesTo(topic))
                {
                    next = (next + 1) % sorted.Length;
                }
                result[sorted[next].MemberId].Add(new TopicAndPartition(topic, p));
                next = (next + 1) % sorted.Length;
            }
        }
        return AssignorInput.Freeze(result);
    }
}
