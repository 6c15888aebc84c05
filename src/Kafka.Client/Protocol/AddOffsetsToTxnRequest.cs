namespace Kafka.Client.Protocol;

/// <summary>
/// AddOffsetsToTxn (key 25): tells the transaction coordinator that the transaction will commit offsets of a consumer
/// group, so that they are committed or dropped with it. v0–v4, flexible from v3 (v2 may answer PRODUCER_FENCED, v4
/// TRANSACTION_ABORTABLE).
/// </summary>
internal sealed class AddOffsetsToTxnRequest : KafkaRequest<TxnResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.AddOffsetsToTxn;

    /// <summary>The transactional id.</summary>
    public string TransactionalId { get; set; } = string.Empty;

    /// <summary>The producer id the transactional id has now.</summary>
    public long ProducerId { get; set; } = -1;

    /// <summary>The producer's epoch.</summary>
    public short ProducerEpoch { get; set; } = -1;

    /// <summary>The consumer group whose offsets the transaction commits.</summary>
    public string GroupId { get; set; } = string.Empty;

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        writer.WriteString(TransactionalId, flexible);
        writer.WriteInt64(ProducerId);
        writer.WriteInt16(ProducerEpoch);
        writer.WriteString(GroupId, flexible);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override TxnResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var throttle = reader.ReadInt32();
        var error = (KafkaErrorCode)reader.ReadInt16();
        reader.SkipTaggedFieldsIf(Api.IsFlexible(version));
        return new TxnResponse(throttle, error);
    }
}
