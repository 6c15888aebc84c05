namespace Kafka.Client.Protocol;

/// <summary>
/// ConsumerGroupHeartbeat (key 68, KIP-848): a member of a group on the consumer protocol joins (epoch 0), heartbeats
/// (its epoch) and leaves (epoch -1, or -2 for a static member that will come back) with this one request; the
/// coordinator answers with the member's epoch and, when it changed, its assignment. v0–v1, flexible in all versions;
/// v1 adds the subscription by regular expression. A field left <see langword="null"/> means "unchanged since the last
/// heartbeat", so a member sends its subscription, assignor and owned partitions only when they changed.
/// </summary>
internal sealed class ConsumerGroupHeartbeatRequest : KafkaRequest<ConsumerGroupHeartbeatResponse>
{
    /// <summary>The epoch a member joins (or rejoins) with.</summary>
    public const int JoinEpoch = 0;

    /// <summary>The epoch a member leaves with.</summary>
    public const int LeaveEpoch = -1;

    /// <summary>The epoch a static member leaves with when it will come back under the same instance id.</summary>
    public const int StaticLeaveEpoch = -2;

    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.ConsumerGroupHeartbeat;

    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = string.Empty;

    /// <summary>The member id, chosen by the member (KIP-1082) and kept for its whole life.</summary>
    public string MemberId { get; set; } = string.Empty;

    /// <summary>The member's epoch: 0 to join, -1 to leave, -2 for a static member's temporary leave.</summary>
    public int MemberEpoch { get; set; }

    /// <summary>The static member's instance id; null when dynamic or unchanged.</summary>
    public string? InstanceId { get; set; }

    /// <summary>The member's rack; null when none or unchanged.</summary>
    public string? RackId { get; set; }

    /// <summary>How long the coordinator waits for the member to give partitions up; -1 when unchanged.</summary>
    public int RebalanceTimeoutMs { get; set; } = -1;

    /// <summary>The topics the member subscribes to by name; null when unchanged.</summary>
    public IReadOnlyList<string>? SubscribedTopicNames { get; set; }

    /// <summary>The regular expression (RE2/J) the member subscribes with (v1+); null when unchanged or none.</summary>
    public string? SubscribedTopicRegex { get; set; }

    /// <summary>The server-side assignor the member asks for (uniform, range); null for the broker's default or unchanged.</summary>
    public string? ServerAssignor { get; set; }

    /// <summary>The partitions the member owns, by topic id; null when unchanged.</summary>
    public IReadOnlyList<TopicIdPartitions>? TopicPartitions { get; set; }

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        writer.WriteString(GroupId, compact: true);
        writer.WriteString(MemberId, compact: true);
        writer.WriteInt32(MemberEpoch);
        writer.WriteNullableString(InstanceId, compact: true);
        writer.WriteNullableString(RackId, compact: true);
        writer.WriteInt32(RebalanceTimeoutMs);
        TopicIdPartitionsCodec.WriteNames(writer, SubscribedTopicNames);
        if (version >= 1)
        {
            writer.WriteNullableString(SubscribedTopicRegex, compact: true);
        }
        else if (!string.IsNullOrEmpty(SubscribedTopicRegex))
        {
            throw new KafkaVersionException(
                "Subscribing by regular expression needs ConsumerGroupHeartbeat v1 (Kafka 4.0); the broker speaks only v0.");
        }
        writer.WriteNullableString(ServerAssignor, compact: true);
        TopicIdPartitionsCodec.Write(writer, TopicPartitions);
        writer.WriteEmptyTaggedFields();
    }

    /// <inheritdoc/>
    public override ConsumerGroupHeartbeatResponse ReadResponse(ref KafkaReader reader, short version)
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
        return new ConsumerGroupHeartbeatResponse
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

/// <summary>A topic's partitions, named by topic id (in a heartbeat's owned partitions and in an assignment).</summary>
/// <param name="TopicId">The topic id.</param>
/// <param name="Partitions">The partition indexes.</param>
internal sealed record TopicIdPartitions(Guid TopicId, IReadOnlyList<int> Partitions);

/// <summary>The coordinator's answer to <see cref="ConsumerGroupHeartbeatRequest"/>.</summary>
internal sealed class ConsumerGroupHeartbeatResponse
{
    /// <summary>How long the broker throttled the request for a quota violation.</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The error (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID, NOT_COORDINATOR...) or none.</summary>
    public KafkaErrorCode ErrorCode { get; init; }

    /// <summary>The coordinator's words about the error, or null.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>The member id the coordinator knows the member by, or null.</summary>
    public string? MemberId { get; init; }

    /// <summary>The member's epoch now.</summary>
    public int MemberEpoch { get; init; }

    /// <summary>How often the coordinator wants heartbeats.</summary>
    public int HeartbeatIntervalMs { get; init; }

    /// <summary>The partitions the member owns from now on, when they changed; null when unchanged.</summary>
    public IReadOnlyList<TopicIdPartitions>? Assignment { get; init; }
}
