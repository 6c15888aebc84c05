namespace Kafka.Client.Protocol;

/// <summary>
/// EndTxn (key 26): commits or aborts a transaction on its coordinator, which then writes the commit or abort markers
/// to every partition of the transaction. v0–v5, flexible from v3 (v2 may answer PRODUCER_FENCED, v4
/// TRANSACTION_ABORTABLE). v5 belongs to transactions V2 (KIP-890): the coordinator bumps the epoch at the end of
/// every transaction and answers the producer id and epoch to use next.
/// </summary>
internal sealed class EndTxnRequest : KafkaRequest<TxnResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.EndTxn;

    /// <summary>The transactional id.</summary>
    public string TransactionalId { get; set; } = string.Empty;

    /// <summary>The producer id.</summary>
    public long ProducerId { get; set; } = -1;

    /// <summary>The producer's epoch.</summary>
    public short ProducerEpoch { get; set; } = -1;

    /// <summary>True to commit, false to abort.</summary>
    public bool Committed { get; set; }

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        writer.WriteString(TransactionalId, flexible);
        writer.WriteInt64(ProducerId);
        writer.WriteInt16(ProducerEpoch);
        writer.WriteBoolean(Committed);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override TxnResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var throttle = reader.ReadInt32();
        var error = (KafkaErrorCode)reader.ReadInt16();
        long producerId = -1;
        short epoch = -1;
        if (version >= 5)
        {
            producerId = reader.ReadInt64();
            epoch = reader.ReadInt16();
        }
        reader.SkipTaggedFieldsIf(Api.IsFlexible(version));
        return new TxnResponse(throttle, error, producerId, epoch);
    }
}
