namespace Kafka.Client.Protocol;

/// <summary>A topic's entry in a request: its name and its partitions' entries.</summary>
/// <typeparam name="TPartition">A partition's entry.</typeparam>
internal interface ITopicPartitions<out TPartition>
{
    string Name { get; }

    IReadOnlyList<TPartition> Partitions { get; }
}

/// <summary>Writes one partition's entry (its topic's name is given for error messages).</summary>
internal delegate void PartitionWriter<in TPartition>(KafkaWriter writer, string topic, TPartition partition, short version, bool flexible);

/// <summary>Reads one partition's entry, its tagged fields included (some carry data).</summary>
internal delegate TPartition PartitionReader<out TPartition>(ref KafkaReader reader, short version, bool flexible);

/// <summary>
/// The array of topics, each with its array of partitions, that ListOffsets, OffsetCommit, Produce and others share:
/// written and read here once, with the tagged fields that close each struct in flexible versions; the messages
/// write and read only their partitions' fields.
/// </summary>
internal static class TopicArrays
{
    public static void Write<TTopic, TPartition>(
        KafkaWriter writer, IReadOnlyList<TTopic> topics, short version, bool flexible, PartitionWriter<TPartition> writePartition)
        where TTopic : ITopicPartitions<TPartition>
    {
        writer.WriteArrayLength(topics.Count, flexible);
        for (var t = 0; t < topics.Count; t++)
        {
            var topic = topics[t];
            var name = topic.Name;
            writer.WriteString(name, flexible);
            var partitions = topic.Partitions;
            writer.WriteArrayLength(partitions.Count, flexible);
            for (var p = 0; p < partitions.Count; p++)
            {
                writePartition(writer, name, partitions[p], version, flexible);
                writer.WriteEmptyTaggedFieldsIf(flexible);
            }
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
    }

    /// <summary>
    /// Reads the array; each count is checked against the bytes left, at <paramref name="minTopicSize"/> and
    /// <paramref name="minPartitionSize"/> bytes an entry (tagged fields included), before anything is allocated for it.
    /// </summary>
    public static TTopic[] Read<TTopic, TPartition>(
        ref KafkaReader reader, short version, bool flexible, int minTopicSize, int minPartitionSize,
        PartitionReader<TPartition> readPartition, Func<string, TPartition[], TTopic> topic)
    {
        var topics = new TTopic[reader.ReadCount(flexible, minTopicSize)];
        for (var t = 0; t < topics.Length; t++)
        {
            var name = reader.ReadString(flexible);
            var partitions = new TPartition[reader.ReadCount(flexible, minPartitionSize)];
            for (var p = 0; p < partitions.Length; p++)
            {
                partitions[p] = readPartition(ref reader, version, flexible);
            }
            reader.SkipTaggedFieldsIf(flexible);
            topics[t] = topic(name, partitions);
        }
        return topics;
    }
}
