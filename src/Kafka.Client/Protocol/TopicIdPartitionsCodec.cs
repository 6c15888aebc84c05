namespace Kafka.Client.Protocol;

/// <summary>
/// Fields the KIP-848 and KIP-932 messages share, all flexible: topic-id partition lists (owned partitions, forgotten
/// partitions), the nullable Assignment struct of the heartbeat answers, and nullable subscribed topic names.
/// </summary>
internal static class TopicIdPartitionsCodec
{
    /// <summary>Writes a compact array of (topic id, partitions, tags); <see langword="null"/> as -1.</summary>
    public static void Write(KafkaWriter writer, IReadOnlyList<TopicIdPartitions>? topics)
    {
        if (topics is null)
        {
            writer.WriteArrayLength(-1, compact: true);
            return;
        }
        writer.WriteArrayLength(topics.Count, compact: true);
        for (var i = 0; i < topics.Count; i++)
        {
            writer.WriteUuid(topics[i].TopicId);
            var partitions = topics[i].Partitions;
            writer.WriteArrayLength(partitions.Count, compact: true);
            for (var p = 0; p < partitions.Count; p++)
            {
                writer.WriteInt32(partitions[p]);
            }
            writer.WriteEmptyTaggedFields();
        }
    }

    /// <summary>Writes a compact array of topic names; <see langword="null"/> ("unchanged") as -1.</summary>
    public static void WriteNames(KafkaWriter writer, IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            writer.WriteArrayLength(-1, compact: true);
            return;
        }
        writer.WriteArrayLength(names.Count, compact: true);
        for (var i = 0; i < names.Count; i++)
        {
            writer.WriteString(names[i], compact: true);
        }
    }

    /// <summary>
    /// Reads a heartbeat answer's nullable Assignment struct (an int8 marker, -1 for none; then the topics and the
    /// struct's tags): <see langword="null"/> when the assignment did not change.
    /// </summary>
    public static IReadOnlyList<TopicIdPartitions>? ReadNullableAssignment(ref KafkaReader reader)
    {
        if (reader.ReadInt8() < 0)
        {
            return null;
        }
        // Smallest topic: a 16-byte id, an empty partition array and tags.
        var count = reader.ReadCount(compact: true, 16 + 1 + 1);
        var topics = new TopicIdPartitions[count];
        for (var i = 0; i < topics.Length; i++)
        {
            var topicId = reader.ReadUuid();
            var partitions = reader.ReadInt32Array(compact: true);
            reader.SkipTaggedFields();
            topics[i] = new TopicIdPartitions(topicId, partitions);
        }
        reader.SkipTaggedFields();
        return topics;
    }
}
