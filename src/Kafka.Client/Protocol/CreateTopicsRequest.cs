namespace Kafka.Client.Protocol;

/// <summary>
/// CreateTopics (key 19): creates topics, on the controller (or any broker of a KRaft cluster, which forwards it).
/// v2–v7, flexible from v5. Before v4 a topic needs a partition count and replication factor or an explicit replica
/// assignment; from v4 -1 asks for the broker's defaults. v7 answers each new topic's id.
/// </summary>
internal sealed class CreateTopicsRequest : KafkaRequest<CreateTopicsResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.CreateTopics;

    /// <summary>The topics to create.</summary>
    public IReadOnlyList<CreatableTopic> Topics { get; set; } = [];

    /// <summary>How long the controller waits for the topics to be created before answering REQUEST_TIMED_OUT.</summary>
    public int TimeoutMs { get; set; } = 60_000;

    /// <summary>Check the request only, creating nothing.</summary>
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
            if (version < 4 && topic.Assignments.Count == 0 && (topic.NumPartitions < 0 || topic.ReplicationFactor < 0))
            {
                throw new KafkaVersionException(
                    $"CreateTopics v{version} needs a partition count and replication factor for topic '{topic.Name}': the broker's defaults (-1) need v4 (Kafka 2.4) or later.");
            }
            writer.WriteString(topic.Name, flexible);
            writer.WriteInt32(topic.NumPartitions);
            writer.WriteInt16(topic.ReplicationFactor);
            writer.WriteArrayLength(topic.Assignments.Count, flexible);
            foreach (var assignment in topic.Assignments)
            {
                writer.WriteInt32(assignment.PartitionIndex);
                writer.WriteArrayLength(assignment.BrokerIds.Count, flexible);
                foreach (var id in assignment.BrokerIds)
                {
                    writer.WriteInt32(id);
                }
                writer.WriteEmptyTaggedFieldsIf(flexible);
            }
            writer.WriteArrayLength(topic.Configs.Count, flexible);
            foreach (var config in topic.Configs)
            {
                writer.WriteString(config.Key, flexible);
                writer.WriteNullableString(config.Value, flexible);
                writer.WriteEmptyTaggedFieldsIf(flexible);
            }
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
        writer.WriteInt32(TimeoutMs);
        writer.WriteBoolean(ValidateOnly);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override CreateTopicsResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttle = reader.ReadInt32();
        // Each: name, [id], error code, message (nullable), then from v5 partitions, factor, configs and tags.
        var topics = new CreatableTopicResult[reader.ReadCount(flexible, (flexible ? 1 : 2) + (version >= 7 ? 16 : 0) + 2 + (flexible ? 1 : 2))];
        for (var i = 0; i < topics.Length; i++)
        {
            var name = reader.ReadString(flexible);
            var id = version >= 7 ? reader.ReadUuid() : Guid.Empty;
            var error = (KafkaErrorCode)reader.ReadInt16();
            var message = reader.ReadNullableString(flexible);
            var partitions = -1;
            short factor = -1;
            IReadOnlyList<CreatableTopicConfig>? configs = null;
            var configError = KafkaErrorCode.None;
            if (version >= 5)
            {
                partitions = reader.ReadInt32();
                factor = reader.ReadInt16();
                var count = reader.ReadArrayLength(true);
                if (count >= 0)
                {
                    var list = new CreatableTopicConfig[count];
                    for (var c = 0; c < list.Length; c++)
                    {
                        var configName = reader.ReadString(true);
                        var value = reader.ReadNullableString(true);
                        var readOnly = reader.ReadBoolean();
                        var source = reader.ReadInt8();
                        var sensitive = reader.ReadBoolean();
                        reader.SkipTaggedFields();
                        list[c] = new CreatableTopicConfig(configName, value, readOnly, source, sensitive);
                    }
                    configs = list;
                }
                configError = ReadTopicTags(ref reader);
            }
            topics[i] = new CreatableTopicResult(name, id, error, message, partitions, factor, configs, configError);
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new CreateTopicsResponse(throttle, topics);
    }

    // A topic result's tagged fields: tag 0 is TopicConfigErrorCode (int16); others are skipped.
    private static KafkaErrorCode ReadTopicTags(ref KafkaReader reader)
    {
        var error = KafkaErrorCode.None;
        var count = reader.ReadUnsignedVarInt();
        for (uint t = 0; t < count; t++)
        {
            var tag = reader.ReadUnsignedVarInt();
            var size = reader.ReadUnsignedVarInt();
            if (size > (uint)reader.Remaining)
            {
                throw new KafkaProtocolException($"A tagged field of {size} bytes exceeds the {reader.Remaining} bytes that remain.");
            }
            if (tag == 0 && size == 2)
            {
                error = (KafkaErrorCode)reader.ReadInt16();
            }
            else
            {
                reader.Skip((int)size);
            }
        }
        return error;
    }
}

/// <summary>A topic to create.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="NumPartitions">The partition count, or -1 with an assignment or for the broker's default (v4+).</param>
/// <param name="ReplicationFactor">The replication factor, or -1 with an assignment or for the broker's default (v4+).</param>
/// <param name="Assignments">An explicit replica assignment per partition, or empty.</param>
/// <param name="Configs">Topic configuration entries (name, value).</param>
internal sealed record CreatableTopic(
    string Name, int NumPartitions, short ReplicationFactor,
    IReadOnlyList<CreatableReplicaAssignment> Assignments,
    IReadOnlyList<KeyValuePair<string, string?>> Configs);

/// <summary>The replicas of one partition of a new topic or of new partitions.</summary>
/// <param name="PartitionIndex">The partition.</param>
/// <param name="BrokerIds">The brokers to place it on, the preferred leader first.</param>
internal sealed record CreatableReplicaAssignment(int PartitionIndex, IReadOnlyList<int> BrokerIds);
