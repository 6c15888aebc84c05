namespace Kafka.Client.Protocol;

/// <summary>
/// CreatePartitions (key 37): raises topics' partition counts, on the controller (or any broker of a KRaft cluster).
/// v0–v3, flexible from v2.
/// </summary>
internal sealed class CreatePartitionsRequest : KafkaRequest<CreatePartitionsResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.CreatePartitions;

    /// <summary>The topics and their new partition counts.</summary>
    public IReadOnlyList<CreatePartitionsTopic> Topics { get; set; } = [];

    /// <summary>How long the controller waits before answering REQUEST_TIMED_OUT.</summary>
    public int TimeoutMs { get; set; } = 60_000;

    /// <summary>Check the request only, changing nothing.</summary>
    public bool ValidateOnly { get; set; }

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
            writer.WriteInt32(topic.Count);
            if (topic.Assignments is null)
            {
                writer.WriteArrayLength(-1, flexible);
            }
            else
            {
                writer.WriteArrayLength(topic.Assignments.Count, flexible);
                foreach (var brokerIds in topic.Assignments)
                {
                    writer.WriteArrayLength(brokerIds.Count, flexible);
                    foreach (var id in brokerIds)
                    {
                        writer.WriteInt32(id);
                    }
                    writer.WriteEmptyTaggedFieldsIf(flexible);
                }
            }
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
        writer.WriteInt32(TimeoutMs);
        writer.WriteBoolean(ValidateOnly);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override CreatePartitionsResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttle = reader.ReadInt32();
        var results = new CreatePartitionsTopicResult[reader.ReadCount(flexible, (flexible ? 1 : 2) + 2 + (flexible ? 1 : 2))];
        for (var i = 0; i < results.Length; i++)
        {
            var name = reader.ReadString(flexible);
            var error = (KafkaErrorCode)reader.ReadInt16();
            var message = reader.ReadNullableString(flexible);
            reader.SkipTaggedFieldsIf(flexible);
            results[i] = new CreatePartitionsTopicResult(name, error, message);
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new CreatePartitionsResponse(throttle, results);
    }
}

/// <summary>A topic's new partition count.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="Count">The total number of partitions the topic is to have.</param>
/// <param name="Assignments">The replicas of each new partition, or null for the controller's choice.</param>
internal sealed record CreatePartitionsTopic(string Name, int Count, IReadOnlyList<IReadOnlyList<int>>? Assignments);
