namespace Kafka.Client.Admin;

/// <summary>A group as <see cref="KafkaAdmin.ListGroupsAsync"/> lists it.</summary>
/// <param name="GroupId">The group id.</param>
/// <param name="ProtocolType">The protocol type: <c>consumer</c> for consumer groups, empty for groups that only commit offsets.</param>
/// <param name="State">The state (Stable, Empty, PreparingRebalance, Dead...; Kafka 2.6+), or null.</param>
/// <param name="Type">The type: classic, consumer or share (Kafka 3.8+), or null.</param>
/// <param name="CoordinatorId">The broker that coordinates it.</param>
public sealed record GroupListing(string GroupId, string ProtocolType, string? State, string? Type, int CoordinatorId);
