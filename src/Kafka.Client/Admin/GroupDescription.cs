namespace Kafka.Client.Admin;

/// <summary>A group as its coordinator describes it (<see cref="KafkaAdmin.DescribeGroupsAsync"/>).</summary>
/// <param name="GroupId">The group id.</param>
/// <param name="State">The state (Stable, Empty, PreparingRebalance, CompletingRebalance, Dead).</param>
/// <param name="ProtocolType">The protocol type (<c>consumer</c> for consumer groups).</param>
/// <param name="Protocol">The protocol in use: the assignor for consumer groups (empty unless stable).</param>
/// <param name="Members">The members.</param>
/// <param name="CoordinatorId">The coordinator's broker id, or -1 when it was not found.</param>
/// <param name="Error">Why the group could not be described, or <see langword="null"/>.</param>
public sealed record GroupDescription(
    string GroupId, string State, string ProtocolType, string Protocol, IReadOnlyList<GroupMemberDescription> Members, int CoordinatorId,
    KafkaBrokerException? Error)
{
    /// <summary>Whether the group was described.</summary>
    public bool Succeeded => Error is null;
}
