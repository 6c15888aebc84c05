namespace Kafka.Client.Protocol;

/// <summary>
/// A range of offsets acknowledged with one type each (ShareFetch and ShareAcknowledge carry the same layout): one
/// type for the whole range, or one per offset. Types: 0 gap, 1 accept, 2 release, 3 reject.
/// </summary>
/// <param name="FirstOffset">The first offset of the range.</param>
/// <param name="LastOffset">The last offset of the range (inclusive).</param>
/// <param name="AcknowledgeTypes">One type for the range, or one per offset.</param>
internal sealed record ShareAcknowledgementBatch(long FirstOffset, long LastOffset, IReadOnlyList<byte> AcknowledgeTypes)
{
    /// <summary>Writes a list of batches: first and last offset, the types as a compact int8 array, tags.</summary>
    public static void WriteAll(KafkaWriter writer, IReadOnlyList<ShareAcknowledgementBatch> batches)
    {
        writer.WriteArrayLength(batches.Count, compact: true);
        for (var b = 0; b < batches.Count; b++)
        {
            var batch = batches[b];
            writer.WriteInt64(batch.FirstOffset);
            writer.WriteInt64(batch.LastOffset);
            writer.WriteArrayLength(batch.AcknowledgeTypes.Count, compact: true);
            for (var t = 0; t < batch.AcknowledgeTypes.Count; t++)
            {
                writer.WriteUInt8(batch.AcknowledgeTypes[t]);
            }
            writer.WriteEmptyTaggedFields();
        }
    }
}

/// <summary>One partition's acknowledgements (and, in a ShareFetch, the wish to fetch from it).</summary>
/// <param name="PartitionIndex">The partition.</param>
/// <param name="Batches">What to acknowledge; empty to only fetch.</param>
internal sealed record SharePartitionAcknowledgements(int PartitionIndex, IReadOnlyList<ShareAcknowledgementBatch> Batches);

/// <summary>A topic's partitions in a ShareFetch or ShareAcknowledge request, by topic id.</summary>
/// <param name="TopicId">The topic id.</param>
/// <param name="Partitions">The partitions.</param>
internal sealed record ShareTopicAcknowledgements(Guid TopicId, IReadOnlyList<SharePartitionAcknowledgements> Partitions)
{
    /// <summary>Writes the topics array of either request.</summary>
    public static void WriteAll(KafkaWriter writer, IReadOnlyList<ShareTopicAcknowledgements> topics)
    {
        writer.WriteArrayLength(topics.Count, compact: true);
        for (var i = 0; i < topics.Count; i++)
        {
            writer.WriteUuid(topics[i].TopicId);
            var partitions = topics[i].Partitions;
            writer.WriteArrayLength(partitions.Count, compact: true);
            for (var p = 0; p < partitions.Count; p++)
            {
                writer.WriteInt32(partitions[p].PartitionIndex);
                ShareAcknowledgementBatch.WriteAll(writer, partitions[p].Batches);
                writer.WriteEmptyTaggedFields();
            }
            writer.WriteEmptyTaggedFields();
        }
    }
}

/// <summary>A broker named in a share response for partitions whose leader moved (NOT_LEADER_OR_FOLLOWER).</summary>
/// <param name="NodeId">The broker id.</param>
/// <param name="Host">Its host.</param>
/// <param name="Port">Its port.</param>
/// <param name="Rack">Its rack, or null.</param>
internal sealed record ShareNodeEndpoint(int NodeId, string Host, int Port, string? Rack)
{
    /// <summary>Reads the NodeEndpoints array both share responses end with.</summary>
    public static ShareNodeEndpoint[] ReadAll(ref KafkaReader reader)
    {
        // Smallest endpoint: id, empty host, port, null rack, tags.
        var count = reader.ReadCount(compact: true, 4 + 1 + 4 + 1 + 1);
        var endpoints = count == 0 ? [] : new ShareNodeEndpoint[count];
        for (var i = 0; i < endpoints.Length; i++)
        {
            var nodeId = reader.ReadInt32();
            var host = reader.ReadString(compact: true);
            var port = reader.ReadInt32();
            var rack = reader.ReadNullableString(compact: true);
            reader.SkipTaggedFields();
            endpoints[i] = new ShareNodeEndpoint(nodeId, host, port, rack);
        }
        return endpoints;
    }
}
