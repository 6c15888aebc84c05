namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="ListGroupsRequest"/>.</summary>
internal sealed record ListGroupsResponse(int ThrottleTimeMs, KafkaErrorCode ErrorCode, IReadOnlyList<ListedGroup> Groups);

/// <summary>
/// One group the broker coordinates.
/// GroupState: The state (v4+), or null.
/// GroupType: The type: classic, consumer or share (v5+), or null.
/// </summary>
internal sealed record ListedGroup(string GroupId, string ProtocolType, string? GroupState, string? GroupType);
