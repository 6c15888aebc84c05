namespace Kafka.Client.Protocol;

/// <summary>
/// Metadata (key 3): the cluster's brokers and controller, and the partitions and leaders of topics.
/// v0–v12; flexible from v9.
/// </summary>
internal sealed class MetadataRequest : KafkaRequest<MetadataResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.Metadata;

    /// <summary>
    /// The topics to describe: <see langword="null"/> for every topic, empty for none (brokers and controller only).
    /// v0 cannot express either "none" or null: both are sent as an empty array, which v0 reads as every topic.
    /// </summary>
    public IReadOnlyList<string>? Topics { get; set; }

    /// <summary>
    /// Whether the broker may create requested topics that do not exist (if its <c>auto.create.topics.enable</c>
    /// allows). Sent from v4; before v4 brokers behave as if it were <see langword="true"/>, so writing
    /// <see langword="false"/> at v0–v3 throws <see cref="KafkaVersionException"/> rather than be ignored.
    /// </summary>
    /// <value>The default value is <see langword="true"/>, the protocol's default.</value>
    public bool AllowAutoTopicCreation { get; set; } = true;

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        if (!AllowAutoTopicCreation && version < 4)
        {
            throw new KafkaVersionException(
                $"Metadata v{version} cannot turn off automatic topic creation (AllowAutoTopicCreation = false needs v4 or later).");
        }
        var flexible = Api.IsFlexible(version);
        var topics = Topics;
        if (topics is null)
        {
            // v0 has no null array; its empty array means every topic.
            writer.WriteArrayLength(version == 0 ? 0 : -1, flexible);
        }
        else
        {
            writer.WriteArrayLength(topics.Count, flexible);
            for (var i = 0; i < topics.Count; i++)
            {
                if (version >= 10)
                {
                    // Topics are asked for by name; a zero id means "no id".
                    writer.WriteUuid(Guid.Empty);
                }
                writer.WriteString(topics[i], flexible);
                writer.WriteEmptyTaggedFieldsIf(flexible);
            }
        }
        if (version >= 4)
        {
            writer.WriteBoolean(AllowAutoTopicCreation);
        }
        if (version is >= 8 and <= 10)
        {
            writer.WriteBoolean(false); // include_cluster_authorized_operations
        }
        if (version >= 8)
        {
            writer.WriteBoolean(false); // include_topic_authorized_operations
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override MetadataResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttleTimeMs = version >= 3 ? reader.ReadInt32() : 0;

        // Smallest broker entry: node id, empty host, port (+ null rack, + tagged fields).
        var brokerCount = reader.ReadCount(flexible, 4 + 1 + 4 + (version >= 1 ? 1 : 0) + (flexible ? 1 : 0));
        var brokers = new MetadataBroker[brokerCount];
        for (var i = 0; i < brokers.Length; i++)
        {
            var nodeId = reader.ReadInt32();
            var host = reader.ReadString(flexible);
            var port = reader.ReadInt32();
            var rack = version >= 1 ? reader.ReadNullableString(flexible) : null;
            reader.SkipTaggedFieldsIf(flexible);
            brokers[i] = new MetadataBroker(nodeId, host, port, rack);
        }

        var clusterId = version >= 2 ? reader.ReadNullableString(flexible) : null;
        var controllerId = version >= 1 ? reader.ReadInt32() : -1;

        // Smallest topic entry: error code, empty name, empty partition array.
        var topicCount = reader.ReadCount(flexible, 2 + 1 + 1);
        var topics = new MetadataTopic[topicCount];
        var nodeIds = new NodeIdSets();
        for (var i = 0; i < topics.Length; i++)
        {
            topics[i] = ReadTopic(ref reader, version, flexible, nodeIds);
        }

        if (version is >= 8 and <= 10)
        {
            reader.ReadInt32(); // cluster_authorized_operations: never requested
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new MetadataResponse
        {
            ThrottleTimeMs = throttleTimeMs,
            Brokers = brokers,
            ClusterId = clusterId,
            ControllerId = controllerId,
            Topics = topics,
            SharedNodeIds = nodeIds.Distinct,
        };
    }

    private static MetadataTopic ReadTopic(ref KafkaReader reader, short version, bool flexible, NodeIdSets nodeIds)
    {
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        var name = version >= 12 ? reader.ReadNullableString(flexible) : reader.ReadString(flexible);
        var topicId = version >= 10 ? reader.ReadUuid() : Guid.Empty;
        var isInternal = version >= 1 && reader.ReadBoolean();

        // Smallest partition entry: error code, index, leader and two empty arrays.
        var partitionCount = reader.ReadCount(flexible, 2 + 4 + 4 + 1 + 1);
        var partitions = new MetadataPartition[partitionCount];
        for (var p = 0; p < partitions.Length; p++)
        {
            var partitionError = (KafkaErrorCode)reader.ReadInt16();
            var partitionIndex = reader.ReadInt32();
            var leaderId = reader.ReadInt32();
            var leaderEpoch = version >= 7 ? reader.ReadInt32() : -1;
            var replicas = nodeIds.Read(ref reader, flexible);
            var isr = nodeIds.Read(ref reader, flexible);
            var offline = version >= 5 ? nodeIds.Read(ref reader, flexible) : [];
            reader.SkipTaggedFieldsIf(flexible);
            partitions[p] = new MetadataPartition(partitionError, partitionIndex, leaderId, leaderEpoch, replicas, isr, offline);
        }

        if (version >= 8)
        {
            reader.ReadInt32(); // topic_authorized_operations: never requested
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new MetadataTopic(errorCode, name, topicId, isInternal, partitions);
    }
}
