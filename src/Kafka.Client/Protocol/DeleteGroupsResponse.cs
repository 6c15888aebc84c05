namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="DeleteGroupsRequest"/>.</summary>
internal sealed record DeleteGroupsResponse(int ThrottleTimeMs, IReadOnlyList<DeletableGroupResult> Results);

/// <summary>The outcome for one group (NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND...).</summary>
internal sealed record DeletableGroupResult(string GroupId, KafkaErrorCode ErrorCode);
