namespace Kafka.Client.Protocol;

/// <summary>The coordinator's answer to <see cref="JoinGroupRequest"/>: the new generation, its leader and protocol.</summary>
internal sealed class JoinGroupResponse
{
    /// <summary>How long the broker throttled the request for a quota violation.</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The error: MEMBER_ID_REQUIRED (join again with <see cref="MemberId"/>), UNKNOWN_MEMBER_ID, NOT_COORDINATOR...</summary>
    public KafkaErrorCode ErrorCode { get; init; }

    /// <summary>The generation this member joined; -1 on error.</summary>
    public int GenerationId { get; init; } = -1;

    /// <summary>The group's protocol type (v7+); <see langword="null"/> before v7.</summary>
    public string? ProtocolType { get; init; }

    /// <summary>The protocol the coordinator chose among those every member supports; null on error.</summary>
    public string? ProtocolName { get; init; }

    /// <summary>The leader's member id.</summary>
    public string Leader { get; init; } = string.Empty;

    /// <summary>Whether the leader must skip computing the assignment (v9+, KIP-814): the broker already has one.</summary>
    public bool SkipAssignment { get; init; }

    /// <summary>This member's id (also set with MEMBER_ID_REQUIRED).</summary>
    public string MemberId { get; init; } = string.Empty;

    /// <summary>Every member and its metadata for the chosen protocol; only the leader receives them.</summary>
    public IReadOnlyList<JoinGroupMember> Members { get; init; } = [];
}

/// <summary>A member of the generation, as the leader is told.</summary>
/// <param name="MemberId">The member's id.</param>
/// <param name="GroupInstanceId">The member's static instance id (v5+), or null.</param>
/// <param name="Metadata">The member's metadata for the chosen protocol (a copy, owned by the response).</param>
internal sealed record JoinGroupMember(string MemberId, string? GroupInstanceId, byte[] Metadata);
