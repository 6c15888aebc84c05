namespace Kafka.Client.Protocol;

/// <summary>
/// ShareGroupHeartbeat (key 76, KIP-932): a member of a share group joins (epoch 0), heartbeats (its epoch) and leaves
/// (epoch -1) with this one request; the coordinator answers with the member id, the member's epoch and, when it
/// changed, the partitions the member shares. v1 only (v0 was Kafka 4.0's early access), flexible. A field left
/// <see langword="null"/> means "unchanged since the last heartbeat".
/// </summary>
internal sealed class ShareGroupHeartbeatRequest : KafkaRequest<ShareGroupHeartbeatResponse>
{
    /// <summary>The epoch a member joins with.</summary>
    public const int JoinEpoch = 0;

    /// <summary>The epoch a member leaves with.</summary>
    public const int LeaveEpoch = -1;

    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.ShareGroupHeartbeat;

    /// <summary>The share group id.</summary>
    public string GroupId { get; set; } = string.Empty;

    /// <summary>The member id, chosen by the member and kept for its whole life.</summary>
    public string MemberId { get; set; } = string.Empty;

    /// <summary>The member's epoch: 0 to join, -1 to leave.</summary>
    public int MemberEpoch { get; set; }

    /// <summary>The member's rack; null when none or unchanged.</summary>
    public string? RackId { get; set; }

    /// <summary>The topics the member subscribes to; null when unchanged.</summary>
    public IReadOnlyList<string>? SubscribedTopicNames { get; set; }

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        writer.WriteString(GroupId, compact: true);
        writer.WriteString(MemberId, compact: true);
        writer.WriteInt32(MemberEpoch);
        writer.WriteNullableString(RackId, compact: true);
        TopicIdPartitionsCodec.WriteNames(writer, SubscribedTopicNames);
        writer.WriteEmptyTaggedFields();
    }

    /// <inheritdoc/>
    public override ShareGroupHeartbeatResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var throttleTimeMs = reader.ReadInt32();
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        var errorMessage = reader.ReadNullableString(compact: true);
        var memberId = reader.ReadNullableString(compact: true);
        var memberEpoch = reader.ReadInt32();
        var heartbeatIntervalMs = reader.ReadInt32();
        var assignment = TopicIdPartitionsCodec.ReadNullableAssignment(ref reader);
        reader.SkipTaggedFields();
        return new ShareGroupHeartbeatResponse
        {
            ThrottleTimeMs = throttleTimeMs,
            ErrorCode = errorCode,
            ErrorMessage = errorMessage,
            MemberId = memberId,
            MemberEpoch = memberEpoch,
            HeartbeatIntervalMs = heartbeatIntervalMs,
            Assignment = assignment,
        };
    }
}

/// <summary>The coordinator's answer to <see cref="ShareGroupHeartbeatRequest"/>.</summary>
internal sealed class ShareGroupHeartbeatResponse
{
    /// <summary>How long the broker throttled the request for a quota violation.</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The error (UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH, NOT_COORDINATOR...) or none.</summary>
    public KafkaErrorCode ErrorCode { get; init; }

    /// <summary>The coordinator's words about the error, or null.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>The member id the coordinator knows the member by, or null.</summary>
    public string? MemberId { get; init; }

    /// <summary>The member's epoch now.</summary>
    public int MemberEpoch { get; init; }

    /// <summary>How often the coordinator wants heartbeats.</summary>
    public int HeartbeatIntervalMs { get; init; }

    /// <summary>The partitions the member shares from now on, when they changed; null when unchanged.</summary>
    public IReadOnlyList<TopicIdPartitions>? Assignment { get; init; }
}
