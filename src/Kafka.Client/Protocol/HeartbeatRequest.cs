namespace Kafka.Client.Protocol;

/// <summary>
/// Heartbeat (key 12): keeps a member's session alive and tells it when the group rebalances.
/// v0–v4, flexible from v4; v3 adds the group instance id.
/// </summary>
internal sealed class HeartbeatRequest : GenerationRequest<HeartbeatResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.Heartbeat;

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        WriteMember(writer, version, flexible);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override HeartbeatResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttleTimeMs = version >= 1 ? reader.ReadInt32() : 0;
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        reader.SkipTaggedFieldsIf(flexible);
        return new HeartbeatResponse(throttleTimeMs, errorCode);
    }
}

/// <summary>The coordinator's answer to <see cref="HeartbeatRequest"/>.</summary>
/// <param name="ThrottleTimeMs">How long the broker throttled the request for a quota violation (v1+; 0 before).</param>
/// <param name="ErrorCode">REBALANCE_IN_PROGRESS (rejoin), ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, NOT_COORDINATOR...</param>
internal sealed record HeartbeatResponse(int ThrottleTimeMs, KafkaErrorCode ErrorCode);
