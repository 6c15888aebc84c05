namespace Kafka.Client.Protocol;

/// <summary>
/// OffsetFetch (key 9): a group's committed offsets, from its coordinator. v1–v9, flexible from v6. v0 (offsets kept in
/// ZooKeeper) was removed in Kafka 4.0 and is not spoken. From v8 the request and response are organised by group
/// (several groups per request, KIP-709); this codec asks for one group at every version.
/// </summary>
internal sealed class OffsetFetchRequest : KafkaRequest<OffsetFetchResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.OffsetFetch;

    /// <summary>The group id.</summary>
    public string GroupId { get; set; } = string.Empty;

    /// <summary>
    /// The partitions to look up, grouped by topic; <see langword="null"/> for every partition the group committed
    /// (v2+).
    /// </summary>
    public IReadOnlyList<OffsetFetchTopic>? Topics { get; set; } = [];

    /// <summary>
    /// Whether the broker should answer UNSTABLE_OFFSET_COMMIT for partitions with pending transactional commits
    /// rather than their last stable offset (v7+); <see langword="false"/> before v7.
    /// </summary>
    public bool RequireStable { get; set; }

    /// <summary>
    /// The member asking, for a KIP-848 (consumer protocol) member: the broker then checks its epoch (v9+; with
    /// <see cref="MemberEpoch"/>). <see langword="null"/> for everyone else, and before v9.
    /// </summary>
    public string? MemberId { get; set; }

    /// <summary>The asking member's epoch (v9+), -1 when no member is named.</summary>
    public int MemberEpoch { get; set; } = -1;

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        if (Topics is null && version < 2)
        {
            throw new KafkaVersionException($"OffsetFetch v{version} cannot ask for every topic of a group: that needs v2 or later.");
        }
        if (RequireStable && version < 7)
        {
            throw new KafkaVersionException($"OffsetFetch v{version} has no require-stable flag: that needs v7 or later.");
        }
        var flexible = Api.IsFlexible(version);
        if (version >= 8)
        {
            writer.WriteArrayLength(1, flexible);
            writer.WriteString(GroupId, flexible);
            if (version >= 9)
            {
                writer.WriteNullableString(MemberId, flexible); // only a KIP-848 member names itself
                writer.WriteInt32(MemberEpoch);
            }
            WriteTopics(writer, flexible);
            writer.WriteEmptyTaggedFields(); // the group struct's
        }
        else
        {
            writer.WriteString(GroupId, flexible);
            WriteTopics(writer, flexible);
        }
        if (version >= 7)
        {
            writer.WriteBoolean(RequireStable);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    private void WriteTopics(KafkaWriter writer, bool flexible)
    {
        var topics = Topics;
        if (topics is null)
        {
            writer.WriteArrayLength(-1, flexible);
            return;
        }
        writer.WriteArrayLength(topics.Count, flexible);
        for (var t = 0; t < topics.Count; t++)
        {
            writer.WriteString(topics[t].Name, flexible);
            var partitions = topics[t].PartitionIndexes;
            writer.WriteArrayLength(partitions.Count, flexible);
            for (var p = 0; p < partitions.Count; p++)
            {
                writer.WriteInt32(partitions[p]);
            }
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
    }

    /// <inheritdoc/>
    public override OffsetFetchResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttleTimeMs = version >= 3 ? reader.ReadInt32() : 0;
        OffsetFetchTopicResponse[] topics;
        var errorCode = KafkaErrorCode.None;
        if (version >= 8)
        {
            // One group was asked for; take its entry (a broker answers for each group asked, in order).
            var groupCount = reader.ReadCount(flexible, 1 + 1 + 2 + 1);
            topics = [];
            var found = false;
            for (var g = 0; g < groupCount; g++)
            {
                var groupId = reader.ReadString(flexible);
                var groupTopics = ReadTopics(ref reader, version, flexible);
                var groupError = (KafkaErrorCode)reader.ReadInt16();
                reader.SkipTaggedFieldsIf(flexible);
                if (!found && string.Equals(groupId, GroupId, StringComparison.Ordinal))
                {
                    found = true;
                    topics = groupTopics;
                    errorCode = groupError;
                }
            }
            if (!found)
            {
                throw new KafkaProtocolException($"The OffsetFetch v{version} response has no entry for group '{GroupId}'.");
            }
        }
        else
        {
            topics = ReadTopics(ref reader, version, flexible);
            if (version >= 2)
            {
                errorCode = (KafkaErrorCode)reader.ReadInt16();
            }
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new OffsetFetchResponse { ThrottleTimeMs = throttleTimeMs, ErrorCode = errorCode, Topics = topics };
    }

    private static OffsetFetchTopicResponse[] ReadTopics(ref KafkaReader reader, short version, bool flexible)
    {
        var topicCount = reader.ReadCount(flexible, flexible ? 3 : 6);
        var topics = new OffsetFetchTopicResponse[topicCount];
        for (var t = 0; t < topics.Length; t++)
        {
            var name = reader.ReadString(flexible);
            // Each: index, offset, [epoch], metadata (null: 1 or 2 bytes), error code (+ tags).
            var partitionCount = reader.ReadCount(flexible, 4 + 8 + (version >= 5 ? 4 : 0) + (flexible ? 1 : 2) + 2 + (flexible ? 1 : 0));
            var partitions = new OffsetFetchPartitionResponse[partitionCount];
            for (var p = 0; p < partitions.Length; p++)
            {
                var index = reader.ReadInt32();
                var offset = reader.ReadInt64();
                var epoch = version >= 5 ? reader.ReadInt32() : -1;
                var metadata = reader.ReadNullableString(flexible);
                var error = (KafkaErrorCode)reader.ReadInt16();
                reader.SkipTaggedFieldsIf(flexible);
                partitions[p] = new OffsetFetchPartitionResponse(index, offset, epoch, metadata, error);
            }
            reader.SkipTaggedFieldsIf(flexible);
            topics[t] = new OffsetFetchTopicResponse(name, partitions);
        }
        return topics;
    }
}

/// <summary>The partitions of one topic to look up.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="PartitionIndexes">The partitions.</param>
internal sealed record OffsetFetchTopic(string Name, IReadOnlyList<int> PartitionIndexes);
