namespace Kafka.Client.Protocol;

/// <summary>
/// ListOffsets (key 2): the offset of each partition at a timestamp, or its earliest or latest offset.
/// v1–v7, flexible from v6. v0 returned several offsets per partition and was removed in Kafka 4.0; the client
/// does not speak it.
/// </summary>
internal sealed class ListOffsetsRequest : KafkaRequest<ListOffsetsResponse>
{
    /// <summary>The timestamp that asks for the latest offset (the high watermark, or the LSO under read-committed).</summary>
    public const long LatestTimestamp = -1;

    /// <summary>The timestamp that asks for the earliest offset (the log start offset).</summary>
    public const long EarliestTimestamp = -2;

    /// <summary>The timestamp that asks for the offset of the record with the largest timestamp (v7+, KIP-734).</summary>
    public const long MaxTimestamp = -3;

    /// <summary>The isolation level that sees every record.</summary>
    public const sbyte ReadUncommitted = 0;

    /// <summary>The isolation level that sees records only up to the last stable offset (v2+).</summary>
    public const sbyte ReadCommitted = 1;

    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.ListOffsets;

    /// <summary>The requesting broker's id; -1 for a client.</summary>
    /// <value>The default value is -1.</value>
    public int ReplicaId { get; set; } = -1;

    /// <summary>
    /// <see cref="ReadUncommitted"/> or <see cref="ReadCommitted"/>. Sent from v2; read-committed cannot be
    /// expressed before v2, so writing it at v1 throws <see cref="KafkaVersionException"/>.
    /// </summary>
    /// <value>The default value is <see cref="ReadUncommitted"/>.</value>
    public sbyte IsolationLevel { get; set; }

    /// <summary>The partitions to look up, grouped by topic.</summary>
    public IReadOnlyList<ListOffsetsTopic> Topics { get; set; } = [];

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        if (IsolationLevel != ReadUncommitted && version < 2)
        {
            throw new KafkaVersionException($"ListOffsets v{version} has no isolation level: read-committed needs v2 or later.");
        }
        var flexible = Api.IsFlexible(version);
        var topics = Topics;
        writer.WriteInt32(ReplicaId);
        if (version >= 2)
        {
            writer.WriteInt8(IsolationLevel);
        }
        TopicArrays.Write<ListOffsetsTopic, ListOffsetsPartition>(writer, topics, version, flexible, WritePartition);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    private static void WritePartition(KafkaWriter writer, string topic, ListOffsetsPartition partition, short version, bool flexible)
    {
        if (partition.Timestamp == MaxTimestamp && version < 7)
        {
            throw new KafkaVersionException(
                $"ListOffsets v{version} cannot look up the max-timestamp offset of {topic}/{partition.PartitionIndex}: that needs v7 or later.");
        }
        writer.WriteInt32(partition.PartitionIndex);
        if (version >= 4)
        {
            writer.WriteInt32(partition.CurrentLeaderEpoch);
        }
        writer.WriteInt64(partition.Timestamp);
    }

    /// <inheritdoc/>
    public override ListOffsetsResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttleTimeMs = version >= 2 ? reader.ReadInt32() : 0;

        // Smallest topic entry: an empty name and an empty partition array. Each partition: index, error code,
        // timestamp, offset (+ leader epoch, + tagged fields).
        var topics = TopicArrays.Read(ref reader, version, flexible, flexible ? 3 : 6, 4 + 2 + 8 + 8 + (version >= 4 ? 4 : 0) + (flexible ? 1 : 0),
            ReadPartition, static (name, partitions) => new ListOffsetsTopicResponse(name, partitions));
        reader.SkipTaggedFieldsIf(flexible);
        return new ListOffsetsResponse { ThrottleTimeMs = throttleTimeMs, Topics = topics };
    }

    private static ListOffsetsPartitionResponse ReadPartition(ref KafkaReader reader, short version, bool flexible)
    {
        var partitionIndex = reader.ReadInt32();
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        var timestamp = reader.ReadInt64();
        var offset = reader.ReadInt64();
        var leaderEpoch = version >= 4 ? reader.ReadInt32() : -1;
        reader.SkipTaggedFieldsIf(flexible);
        return new ListOffsetsPartitionResponse(partitionIndex, errorCode, timestamp, offset, leaderEpoch);
    }
}

/// <summary>The partitions of one topic to look up.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="Partitions">The partitions, each with the timestamp to look up.</param>
internal sealed record ListOffsetsTopic(string Name, IReadOnlyList<ListOffsetsPartition> Partitions) : ITopicPartitions<ListOffsetsPartition>;

/// <summary>One partition to look up.</summary>
/// <param name="PartitionIndex">The partition number.</param>
/// <param name="Timestamp">
/// A timestamp in milliseconds since the epoch, or <see cref="ListOffsetsRequest.LatestTimestamp"/>,
/// <see cref="ListOffsetsRequest.EarliestTimestamp"/> or <see cref="ListOffsetsRequest.MaxTimestamp"/> (v7+).
/// </param>
/// <param name="CurrentLeaderEpoch">
/// The leader epoch the client knows (v4+), so that a stale leader is fenced; -1 to skip the check. Dropped before v4.
/// </param>
internal sealed record ListOffsetsPartition(int PartitionIndex, long Timestamp, int CurrentLeaderEpoch = -1);
