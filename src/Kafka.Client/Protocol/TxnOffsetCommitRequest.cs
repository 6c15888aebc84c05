namespace Kafka.Client.Protocol;

/// <summary>
/// TxnOffsetCommit (key 28): stages a consumer group's offsets on the group coordinator as part of a transaction;
/// they become the group's committed offsets when the transaction commits. v0–v5, flexible from v3; v2 adds the
/// committed leader epoch, v3 the member's generation, member id and instance id (KIP-447, so that a zombie member's
/// commit is fenced), v4 may answer TRANSACTION_ABORTABLE,
/// v5 (same shape) adds the group to the transaction itself, so transactions V2 send no AddOffsetsToTxn (KIP-890).
/// </summary>
internal sealed class TxnOffsetCommitRequest : KafkaRequest<TxnOffsetCommitResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.TxnOffsetCommit;

    /// <summary>The transactional id.</summary>
    public string TransactionalId { get; set; } = string.Empty;

    /// <summary>The consumer group.</summary>
    public string GroupId { get; set; } = string.Empty;

    /// <summary>The producer id.</summary>
    public long ProducerId { get; set; } = -1;

    /// <summary>The producer's epoch.</summary>
    public short ProducerEpoch { get; set; } = -1;

    /// <summary>The member's generation (v3+); -1 when unknown.</summary>
    public int GenerationId { get; set; } = -1;

    /// <summary>The member id (v3+); empty when unknown.</summary>
    public string MemberId { get; set; } = string.Empty;

    /// <summary>The static member id (v3+), or null.</summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>The offsets, by topic: partition, offset to commit (the next one to read), leader epoch (v2+, -1 for none), metadata.</summary>
    public IReadOnlyList<(string Topic, IReadOnlyList<(int Partition, long Offset, int LeaderEpoch, string? Metadata)> Partitions)> Topics { get; set; } = [];

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        writer.WriteString(TransactionalId, flexible);
        writer.WriteString(GroupId, flexible);
        writer.WriteInt64(ProducerId);
        writer.WriteInt16(ProducerEpoch);
        if (version >= 3)
        {
            writer.WriteInt32(GenerationId);
            writer.WriteString(MemberId, flexible);
            writer.WriteNullableString(GroupInstanceId, flexible);
        }
        writer.WriteArrayLength(Topics.Count, flexible);
        foreach (var (topic, partitions) in Topics)
        {
            writer.WriteString(topic, flexible);
            writer.WriteArrayLength(partitions.Count, flexible);
            foreach (var (partition, offset, leaderEpoch, metadata) in partitions)
            {
                writer.WriteInt32(partition);
                writer.WriteInt64(offset);
                if (version >= 2)
                {
                    writer.WriteInt32(leaderEpoch);
                }
                writer.WriteNullableString(metadata, flexible);
                writer.WriteEmptyTaggedFieldsIf(flexible);
            }
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override TxnOffsetCommitResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttle = reader.ReadInt32();
        var results = TxnPartitionResult.ReadTopics(ref reader, flexible);
        reader.SkipTaggedFieldsIf(flexible);
        return new TxnOffsetCommitResponse(throttle, results);
    }
}
