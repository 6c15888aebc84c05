namespace Kafka.Client.Protocol;

/// <summary>
/// AddPartitionsToTxn (key 24): tells the transaction coordinator which partitions a transaction writes to, before
/// the producer sends them anything. v0–v3, flexible from v3 (v2 may answer PRODUCER_FENCED). v4 and later batch
/// several transactions and are sent only by brokers to brokers (KIP-890), so a client never speaks them.
/// </summary>
internal sealed class AddPartitionsToTxnRequest : KafkaRequest<AddPartitionsToTxnResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.AddPartitionsToTxn;

    /// <summary>The transactional id.</summary>
    public string TransactionalId { get; set; } = string.Empty;

    /// <summary>The producer id the transactional id has now.</summary>
    public long ProducerId { get; set; } = -1;

    /// <summary>The producer's epoch.</summary>
    public short ProducerEpoch { get; set; } = -1;

    /// <summary>The partitions to add, by topic.</summary>
    public IReadOnlyList<(string Topic, IReadOnlyList<int> Partitions)> Topics { get; set; } = [];

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        writer.WriteString(TransactionalId, flexible);
        writer.WriteInt64(ProducerId);
        writer.WriteInt16(ProducerEpoch);
        writer.WriteArrayLength(Topics.Count, flexible);
        foreach (var (topic, partitions) in Topics)
        {
            writer.WriteString(topic, flexible);
            writer.WriteArrayLength(partitions.Count, flexible);
            foreach (var partition in partitions)
            {
                writer.WriteInt32(partition);
            }
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override AddPartitionsToTxnResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttle = reader.ReadInt32();
        var results = TxnPartitionResult.ReadTopics(ref reader, flexible);
        reader.SkipTaggedFieldsIf(flexible);
        return new AddPartitionsToTxnResponse(throttle, results);
    }
}
