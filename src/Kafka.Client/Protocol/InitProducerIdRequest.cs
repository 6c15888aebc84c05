namespace Kafka.Client.Protocol;

/// <summary>
/// InitProducerId (key 22): a producer id and epoch for an idempotent (or transactional) producer. v0–v4; flexible
/// from v2. From v3 a producer that already has an id sends it with its epoch to have the epoch bumped (KIP-360)
/// rather than get a new id.
/// </summary>
internal sealed class InitProducerIdRequest : KafkaRequest<InitProducerIdResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.InitProducerId;

    /// <summary>The transactional id; null for an idempotent producer outside transactions.</summary>
    public string? TransactionalId { get; set; }

    /// <summary>How long the coordinator waits before aborting an idle transaction; ignored without a transactional id.</summary>
    /// <value>The default value is -1.</value>
    public int TransactionTimeoutMs { get; set; } = -1;

    /// <summary>The producer's current id, to bump its epoch (v3+); -1 to ask for a new id.</summary>
    /// <value>The default value is -1.</value>
    public long ProducerId { get; set; } = -1;

    /// <summary>The producer's current epoch (v3+); -1 with a new id.</summary>
    /// <value>The default value is -1.</value>
    public short ProducerEpoch { get; set; } = -1;

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        if (version < 3 && (ProducerId != -1 || ProducerEpoch != -1))
        {
            throw new KafkaVersionException($"InitProducerId v{version} cannot bump an existing producer id's epoch: that needs v3 or later.");
        }
        var flexible = Api.IsFlexible(version);
        writer.WriteNullableString(TransactionalId, flexible);
        writer.WriteInt32(TransactionTimeoutMs);
        if (version >= 3)
        {
            writer.WriteInt64(ProducerId);
            writer.WriteInt16(ProducerEpoch);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override InitProducerIdResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var response = new InitProducerIdResponse
        {
            ThrottleTimeMs = reader.ReadInt32(),
            ErrorCode = (KafkaErrorCode)reader.ReadInt16(),
            ProducerId = reader.ReadInt64(),
            ProducerEpoch = reader.ReadInt16(),
        };
        reader.SkipTaggedFieldsIf(Api.IsFlexible(version));
        return response;
    }
}
