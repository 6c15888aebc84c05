namespace Kafka.Client.Protocol;

/// <summary>
/// SyncGroup (key 14): after a join, the leader sends every member's assignment and each member receives its own.
/// v0–v5, flexible from v4; v3 adds the group instance id, v5 the protocol type and name (KIP-559).
/// </summary>
internal sealed class SyncGroupRequest : GenerationRequest<SyncGroupResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.SyncGroup;

    /// <summary>The group's protocol type (v5+; dropped before), checked by the coordinator.</summary>
    public string? ProtocolType { get; set; }

    /// <summary>The protocol the join chose (v5+; dropped before), checked by the coordinator.</summary>
    public string? ProtocolName { get; set; }

    /// <summary>Every member's assignment, from the leader; empty from the other members.</summary>
    public IReadOnlyList<SyncGroupAssignment> Assignments { get; set; } = [];

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        WriteMember(writer, version, flexible);
        if (version >= 5)
        {
            writer.WriteNullableString(ProtocolType, flexible);
            writer.WriteNullableString(ProtocolName, flexible);
        }
        var assignments = Assignments;
        writer.WriteArrayLength(assignments.Count, flexible);
        for (var i = 0; i < assignments.Count; i++)
        {
            writer.WriteString(assignments[i].MemberId, flexible);
            writer.WriteBytes(assignments[i].Assignment.Span, flexible);
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override SyncGroupResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttleTimeMs = version >= 1 ? reader.ReadInt32() : 0;
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        string? protocolType = null;
        string? protocolName = null;
        if (version >= 5)
        {
            protocolType = reader.ReadNullableString(flexible);
            protocolName = reader.ReadNullableString(flexible);
        }
        // Error answers may carry null bytes where the schema has bytes (librdkafka's mock does); read them as empty.
        var assignment = reader.TryReadNullableBytes(flexible, out var bytes) ? bytes.ToArray() : [];
        reader.SkipTaggedFieldsIf(flexible);
        return new SyncGroupResponse
        {
            ThrottleTimeMs = throttleTimeMs,
            ErrorCode = errorCode,
            ProtocolType = protocolType,
            ProtocolName = protocolName,
            Assignment = assignment,
        };
    }
}

/// <summary>One member's assignment, as the leader sends it.</summary>
/// <param name="MemberId">The member.</param>
/// <param name="Assignment">The assignment (for consumers, the encoded partitions).</param>
internal sealed record SyncGroupAssignment(string MemberId, ReadOnlyMemory<byte> Assignment);

/// <summary>The coordinator's answer to <see cref="SyncGroupRequest"/>: this member's assignment.</summary>
internal sealed class SyncGroupResponse
{
    /// <summary>How long the broker throttled the request for a quota violation (v1+; 0 before).</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The error: REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, NOT_COORDINATOR...</summary>
    public KafkaErrorCode ErrorCode { get; init; }

    /// <summary>The group's protocol type (v5+).</summary>
    public string? ProtocolType { get; init; }

    /// <summary>The group's protocol name (v5+).</summary>
    public string? ProtocolName { get; init; }

    /// <summary>This member's assignment (a copy); empty on error.</summary>
    public byte[] Assignment { get; init; } = [];
}
