namespace Kafka.Client.Protocol;

/// <summary>
/// LeaveGroup (key 13): members leave a group at once rather than wait for their session to time out.
/// v0–v5, flexible from v4. v0–v2 name one member by id; from v3 a batch of members, each by id and/or instance
/// id (KIP-345); v5 adds a reason per member.
/// </summary>
internal sealed class LeaveGroupRequest : KafkaRequest<LeaveGroupResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.LeaveGroup;

    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = string.Empty;

    /// <summary>
    /// The members leaving. v0–v2 carry exactly one member with no instance id; anything else throws
    /// <see cref="KafkaVersionException"/> at those versions.
    /// </summary>
    public IReadOnlyList<LeaveGroupMember> Members { get; set; } = [];

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var members = Members;
        writer.WriteString(GroupId, flexible);
        if (version < 3)
        {
            if (members.Count != 1 || members[0].GroupInstanceId is not null)
            {
                throw new KafkaVersionException(
                    $"LeaveGroup v{version} removes exactly one member by its member id; batches and instance ids need v3 or later (Kafka 2.4).");
            }
            writer.WriteString(members[0].MemberId, flexible);
            return;
        }
        writer.WriteArrayLength(members.Count, flexible);
        for (var i = 0; i < members.Count; i++)
        {
            writer.WriteString(members[i].MemberId, flexible);
            writer.WriteNullableString(members[i].GroupInstanceId, flexible);
            if (version >= 5)
            {
                writer.WriteNullableString(members[i].Reason, flexible);
            }
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override LeaveGroupResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttleTimeMs = version >= 1 ? reader.ReadInt32() : 0;
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        IReadOnlyList<LeaveGroupMemberResponse> members = [];
        if (version >= 3)
        {
            // Smallest member: empty id, null instance id, error code (+ tags).
            var count = reader.ReadCount(flexible, flexible ? 1 + 1 + 2 + 1 : 2 + 2 + 2);
            var array = new LeaveGroupMemberResponse[count];
            for (var i = 0; i < array.Length; i++)
            {
                var memberId = reader.ReadString(flexible);
                var instanceId = reader.ReadNullableString(flexible);
                var memberError = (KafkaErrorCode)reader.ReadInt16();
                reader.SkipTaggedFieldsIf(flexible);
                array[i] = new LeaveGroupMemberResponse(memberId, instanceId, memberError);
            }
            members = array;
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new LeaveGroupResponse { ThrottleTimeMs = throttleTimeMs, ErrorCode = errorCode, Members = members };
    }
}

/// <summary>A member leaving.</summary>
/// <param name="MemberId">The member's id (may be empty from v3 when the instance id names it).</param>
/// <param name="GroupInstanceId">The static member's instance id (v3+), or null.</param>
/// <param name="Reason">Why it leaves (v5+, informational; dropped before v5).</param>
internal sealed record LeaveGroupMember(string MemberId, string? GroupInstanceId = null, string? Reason = null);

/// <summary>The coordinator's answer to <see cref="LeaveGroupRequest"/>.</summary>
internal sealed class LeaveGroupResponse
{
    /// <summary>How long the broker throttled the request for a quota violation (v1+; 0 before).</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The request's error (NOT_COORDINATOR, UNKNOWN_MEMBER_ID before v3...).</summary>
    public KafkaErrorCode ErrorCode { get; init; }

    /// <summary>Each member's result (v3+); empty before v3.</summary>
    public IReadOnlyList<LeaveGroupMemberResponse> Members { get; init; } = [];
}

/// <summary>One member's result in a <see cref="LeaveGroupResponse"/> (v3+).</summary>
/// <param name="MemberId">The member's id.</param>
/// <param name="GroupInstanceId">The member's instance id, or null.</param>
/// <param name="ErrorCode">UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID... or none.</param>
internal sealed record LeaveGroupMemberResponse(string MemberId, string? GroupInstanceId, KafkaErrorCode ErrorCode);
