namespace Kafka.Client;

/// <summary>
/// Decides which group member consumes which partitions. The group's leader runs the assignor every members
/// agreed on (the coordinator picks one that all of them list) and sends each member its share.
/// </summary>
/// <remarks>
/// The name is the protocol name members announce when they join: members of any Kafka client that use an assignor
/// of the same name must compute the same assignment for the same input, because any of them may be the leader.
/// <see cref="RangeAssignor"/> and <see cref="RoundRobinAssignor"/> follow the Java client's assignors of the same
/// names. An assignor must be deterministic and must not depend on the order of its inputs.
/// </remarks>
public interface IPartitionAssignor
{
    /// <summary>The protocol name, e.g. <c>range</c>.</summary>
    string Name { get; }

    /// <summary>Assigns the partitions of the subscribed topics to the members.</summary>
    /// <param name="members">The members of the generation with their subscriptions (member ids are unique).</param>
    /// <param name="partitionsPerTopic">
    /// The number of partitions of each subscribed topic; a subscribed topic missing here (unknown to the cluster)
    /// has no partitions to assign.
    /// </param>
    /// <returns>Each member's partitions, with an entry (possibly empty) for every member.</returns>
    IReadOnlyDictionary<string, IReadOnlyList<TopicAndPartition>> Assign(
        IReadOnlyList<GroupMemberSubscription> members, IReadOnlyDictionary<string, int> partitionsPerTopic);
}
