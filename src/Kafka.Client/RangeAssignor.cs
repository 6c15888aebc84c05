using Kafka.Client.Internal.Groups;

namespace Kafka.Client;

/// <summary>
/// Kafka's <c>range</c> assignor, the default (as in pykafka): topic by topic, the partitions in numeric order are
/// cut into contiguous ranges, one per subscribed member in member order; when they do not divide evenly the first
/// members get one partition more.
/// </summary>
/// <remarks>
/// <para>
/// Members are ordered as the Java client orders them: static members by group instance id first, then dynamic
/// members by member id (ordinal). With the same input, this assignor gives the same assignment as the Java client's
/// <c>RangeAssignor</c> (without rack awareness) and librdkafka's <c>range</c>, so members of those clients and ours can
/// share a group. Unlike pykafka's, it does not depend on partition leaders, so a leader moving does not reshuffle
/// the group.
/// </para>
/// <para>
/// Example: members C0 and C1, topics t0 and t1 with 3 partitions each: C0 gets t0/0, t0/1, t1/0, t1/1 and C1 gets
/// t0/2, t1/2. Topics with the same partition count and the same subscribers are co-partitioned: partition n of each
/// goes to the same member.
/// </para>
/// </remarks>
public sealed class RangeAssignor : IPartitionAssignor
{
    /// <summary>The protocol name, <c>range</c>.</summary>
    public const string ProtocolName = "range";

    /// <inheritdoc/>
    public string Name => ProtocolName;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, IReadOnlyList<TopicAndPartition>> Assign(
        IReadOnlyList<GroupMemberSubscription> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        var sorted = AssignorInput.SortedMembers(members, partitionsPerTopic);
        var result = AssignorInput.EmptyResult(sorted);
        foreach (var topic in AssignorInput.SubscribedTopics(sorted))
        {
            var partitionCount = AssignorInput.PartitionCount(partitionsPerTopic, topic);
            var subscribers = Array.FindAll(sorted, m => m.SubscribesTo(topic));
            if (partitionCount == 0 || subscribers.Length == 0)
            {
                continue;
            }
            var perMember = partitionCount / subscribers.Length;
            var withExtra = partitionCount % subscribers.Length;
            for (var i = 0; i < subscribers.Length; i++)
            {
                var start = (perMember * i) + Math.Min(i, withExtra);
                var length = perMember + (i < withExtra ? 1 : 0);
                var list = result[subscribers[i].MemberId];
                for (var p = start; p < start + length; p++)
                {
                    list.Add(new TopicAndPartition(topic, p));
                }
            }
        }
        return AssignorInput.Freeze(result);
    }
}
