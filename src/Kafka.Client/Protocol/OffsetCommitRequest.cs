namespace Kafka.Client.Protocol;

/// <summary>
/// OffsetCommit (key 8): stores a group's offsets with its coordinator. v2–v9, flexible from v8. v0 (ZooKeeper-stored
/// offsets) and v1 were removed in Kafka 4.0 and are not spoken. A consumer outside group membership (the simple
/// consumer) commits with generation -1 and an empty member id.
/// </summary>
internal sealed class OffsetCommitRequest : KafkaRequest<OffsetCommitResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.OffsetCommit;

    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = string.Empty;

    /// <summary>The group generation (classic protocol) or member epoch (KIP-848, v9); -1 outside membership.</summary>
    /// <value>The default value is -1.</value>
    public int GenerationIdOrMemberEpoch { get; set; } = -1;

    /// <summary>The member id the coordinator assigned; empty outside membership.</summary>
    public string MemberId { get; set; } = string.Empty;

    /// <summary>The static member id (v7+), or <see langword="null"/>; a non-null value needs v7.</summary>
    public string? GroupInstanceId { get; set; }

    /// <summary>How long to keep the offsets (v2–v4), in milliseconds; -1 for the broker's default. Dropped from v5.</summary>
    /// <value>The default value is -1.</value>
    public long RetentionTimeMs { get; set; } = -1;

    /// <summary>The offsets to commit, grouped by topic.</summary>
    public IReadOnlyList<OffsetCommitTopic> Topics { get; set; } = [];

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        if (GroupInstanceId is not null && version < 7)
        {
            throw new KafkaVersionException($"OffsetCommit v{version} has no group instance id: static membership needs v7 or later.");
        }
        var flexible = Api.IsFlexible(version);
        writer.WriteString(GroupId, flexible);
        writer.WriteInt32(GenerationIdOrMemberEpoch);
        writer.WriteString(MemberId, flexible);
        if (version >= 7)
        {
            writer.WriteNullableString(GroupInstanceId, flexible);
        }
        if (version <= 4)
        {
            writer.WriteInt64(RetentionTimeMs);
        }
        var topics = Topics;
        TopicArrays.Write<OffsetCommitTopic, OffsetCommitPartition>(writer, topics, version, flexible, WritePartition);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    private static void WritePartition(KafkaWriter writer, string topic, OffsetCommitPartition partition, short version, bool flexible)
    {
        writer.WriteInt32(partition.PartitionIndex);
        writer.WriteInt64(partition.CommittedOffset);
        if (version >= 6)
        {
            writer.WriteInt32(partition.CommittedLeaderEpoch);
        }
        writer.WriteNullableString(partition.CommittedMetadata, flexible);
    }

    /// <inheritdoc/>
    public override OffsetCommitResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttleTimeMs = version >= 3 ? reader.ReadInt32() : 0;
        var topics = TopicArrays.Read(ref reader, version, flexible, flexible ? 3 : 6, 4 + 2 + (flexible ? 1 : 0),
            ReadPartition, static (name, partitions) => new OffsetCommitTopicResponse(name, partitions));
        reader.SkipTaggedFieldsIf(flexible);
        return new OffsetCommitResponse { ThrottleTimeMs = throttleTimeMs, Topics = topics };
    }

    private static OffsetCommitPartitionResponse ReadPartition(ref KafkaReader reader, short version, bool flexible)
    {
        var index = reader.ReadInt32();
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        reader.SkipTaggedFieldsIf(flexible);
        return new OffsetCommitPartitionResponse(index, errorCode);
    }
}

/// <summary>The offsets to commit for one topic.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="Partitions">One entry per partition.</param>
internal sealed record OffsetCommitTopic(string Name, IReadOnlyList<OffsetCommitPartition> Partitions) : ITopicPartitions<OffsetCommitPartition>;

/// <summary>The offset to commit for one partition.</summary>
/// <param name="PartitionIndex">The partition number.</param>
/// <param name="CommittedOffset">The offset of the next record to read (what a consumer resumes from).</param>
/// <param name="CommittedLeaderEpoch">The leader epoch of the last record read (v6+), or -1.</param>
/// <param name="CommittedMetadata">Free text stored with the offset, or <see langword="null"/>.</param>
internal readonly record struct OffsetCommitPartition(int PartitionIndex, long CommittedOffset, int CommittedLeaderEpoch = -1, string? CommittedMetadata = "");
