namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="DescribeGroupsRequest"/>.</summary>
internal sealed record DescribeGroupsResponse(int ThrottleTimeMs, IReadOnlyList<DescribedGroup> Groups);

/// <summary>
/// One group as its coordinator describes it.
/// ErrorMessage: The broker's explanation (v6+), or null.
/// ProtocolData: The protocol in use (the assignor's name for consumer groups), empty unless stable.
/// AuthorizedOperations: A bit field of permitted operations (v3+, when asked), or int.MinValue.
/// </summary>
internal sealed record DescribedGroup(
    KafkaErrorCode ErrorCode, string? ErrorMessage, string GroupId, string GroupState, string ProtocolType, string ProtocolData,
    IReadOnlyList<DescribedGroupMember> Members, int AuthorizedOperations);

/// <summary>One member; its metadata and assignment are the consumer protocol's bytes when the group is stable.</summary>
internal sealed record DescribedGroupMember(
    string MemberId, string? GroupInstanceId, string ClientId, string ClientHost, byte[] MemberMetadata, byte[] MemberAssignment);
