namespace Kafka.Client.Protocol;

/// <summary>
/// DeleteRecords (key 21): moves partitions' log start offsets forward, on their leaders. v0–v2, flexible from v2.
/// </summary>
internal sealed class DeleteRecordsRequest : KafkaRequest<DeleteRecordsResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.DeleteRecords;

    /// <summary>The partitions and the offsets before which to delete, grouped by topic.</summary>
    public IReadOnlyList<DeleteRecordsTopic> Topics { get; set; } = [];

    /// <summary>How long the leader waits for the followers before answering.</summary>
    public int TimeoutMs { get; set; } = 60_000;

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        writer.WriteArrayLength(Topics.Count, flexible);
        foreach (var topic in Topics)
        {
            writer.WriteString(topic.Name, flexible);
            writer.WriteArrayLength(topic.Partitions.Count, flexible);
            foreach (var (partition, offset) in topic.Partitions)
            {
                writer.WriteInt32(partition);
                writer.WriteInt64(offset);
                writer.WriteEmptyTaggedFieldsIf(flexible);
            }
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
        writer.WriteInt32(TimeoutMs);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override DeleteRecordsResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttle = reader.ReadInt32();
        var topics = new DeleteRecordsTopicResult[reader.ReadCount(flexible, (flexible ? 1 : 2) + (flexible ? 1 : 4))];
        for (var t = 0; t < topics.Length; t++)
        {
            var name = reader.ReadString(flexible);
            var partitions = new DeleteRecordsPartitionResult[reader.ReadCount(flexible, 4 + 8 + 2 + (flexible ? 1 : 0))];
            for (var p = 0; p < partitions.Length; p++)
            {
                var index = reader.ReadInt32();
                var low = reader.ReadInt64();
                var error = (KafkaErrorCode)reader.ReadInt16();
                reader.SkipTaggedFieldsIf(flexible);
                partitions[p] = new DeleteRecordsPartitionResult(index, low, error);
            }
            reader.SkipTaggedFieldsIf(flexible);
            topics[t] = new DeleteRecordsTopicResult(name, partitions);
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new DeleteRecordsResponse(throttle, topics);
    }
}

/// <summary>One topic's partitions and the offsets before which to delete.</summary>
internal sealed record DeleteRecordsTopic(string Name, IReadOnlyList<(int Partition, long Offset)> Partitions);
