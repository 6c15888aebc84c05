namespace Kafka.Client.Protocol;

/// <summary>
/// JoinGroup (key 11): asks the group coordinator to take this member into the group's next generation, with the
/// protocols (assignors) it supports. v2–v9, flexible from v6. From v4 a member without an id is first answered
/// MEMBER_ID_REQUIRED with an id to join again with; v5 adds the group instance id (static membership); v8 a reason.
/// </summary>
internal sealed class JoinGroupRequest : KafkaRequest<JoinGroupResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.JoinGroup;

    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = string.Empty;

    /// <summary>How long the coordinator waits for a heartbeat before it drops the member, in milliseconds.</summary>
    public int SessionTimeoutMs { get; set; }

    /// <summary>How long the coordinator waits for every member to rejoin during a rebalance, in milliseconds.</summary>
    public int RebalanceTimeoutMs { get; set; }

    /// <summary>The member id the coordinator gave this member; empty to join for the first time.</summary>
    public string MemberId { get; set; } = string.Empty;

    /// <summary>
    /// The static member's instance id (v5+), or <see langword="null"/> for a dynamic member. It cannot be expressed
    /// before v5, so writing one at v2–v4 throws <see cref="KafkaVersionException"/>.
    /// </summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>The class of protocols: <c>consumer</c> for consumer groups.</summary>
    public string ProtocolType { get; set; } = string.Empty;

    /// <summary>The protocols the member supports, most preferred first, each with its metadata.</summary>
    public IReadOnlyList<JoinGroupProtocol> Protocols { get; set; } = [];

    /// <summary>Why the member joins (v8+, informational; dropped before v8).</summary>
    public string? Reason { get; set; }

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        if (GroupInstanceId is not null && version < 5)
        {
            throw new KafkaVersionException(
                $"JoinGroup v{version} has no group instance id: static membership needs v5 or later (Kafka 2.3).");
        }
        var flexible = Api.IsFlexible(version);
        writer.WriteString(GroupId, flexible);
        writer.WriteInt32(SessionTimeoutMs);
        writer.WriteInt32(RebalanceTimeoutMs);
        writer.WriteString(MemberId, flexible);
        if (version >= 5)
        {
            writer.WriteNullableString(GroupInstanceId, flexible);
        }
        writer.WriteString(ProtocolType, flexible);
        var protocols = Protocols;
        writer.WriteArrayLength(protocols.Count, flexible);
        for (var i = 0; i < protocols.Count; i++)
        {
            writer.WriteString(protocols[i].Name, flexible);
            writer.WriteBytes(protocols[i].Metadata.Span, flexible);
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
        if (version >= 8)
        {
            writer.WriteNullableString(Reason, flexible);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override JoinGroupResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttleTimeMs = reader.ReadInt32(); // v2+, and the client speaks v2 and later only
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        var generationId = reader.ReadInt32();
        var protocolType = version >= 7 ? reader.ReadNullableString(flexible) : null;
        // Error answers may carry null where the schema has a string (librdkafka's mock does); read them as empty.
        var protocolName = reader.ReadNullableString(flexible);
        var leader = reader.ReadNullableString(flexible) ?? string.Empty;
        var skipAssignment = version >= 9 && reader.ReadBoolean();
        var memberId = reader.ReadNullableString(flexible) ?? string.Empty;

        // Smallest member: empty id, null instance id and empty metadata (compact: one byte each, plus tags).
        var count = reader.ReadCount(flexible, flexible ? 4 : 2 + (version >= 5 ? 2 : 0) + 4);
        var members = count == 0 ? [] : new JoinGroupMember[count];
        for (var i = 0; i < members.Length; i++)
        {
            var id = reader.ReadString(flexible);
            var instanceId = version >= 5 ? reader.ReadNullableString(flexible) : null;
            var metadata = reader.ReadBytes(flexible).ToArray();
            reader.SkipTaggedFieldsIf(flexible);
            members[i] = new JoinGroupMember(id, instanceId, metadata);
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new JoinGroupResponse
        {
            ThrottleTimeMs = throttleTimeMs,
            ErrorCode = errorCode,
            GenerationId = generationId,
            ProtocolType = protocolType,
            ProtocolName = protocolName,
            Leader = leader,
            SkipAssignment = skipAssignment,
            MemberId = memberId,
            Members = members,
        };
    }
}

/// <summary>A protocol a joining member supports.</summary>
/// <param name="Name">The protocol name (for consumers, the assignor name: <c>range</c>, <c>roundrobin</c>...).</param>
/// <param name="Metadata">The protocol's metadata (for consumers, the encoded subscription).</param>
internal sealed record JoinGroupProtocol(string Name, ReadOnlyMemory<byte> Metadata);
