namespace Kafka.Client.Protocol;

/// <summary>
/// Fetch (key 1): records of partitions from their leader, from an offset on. v4–v18, flexible from v12; from v13
/// topics are named by id instead of by name. v0–v3 (message format v0/v1 only) were removed in Kafka 4.0 and are not
/// spoken. The client fetches without a fetch session (session id 0, epoch -1): every request names every partition.
/// </summary>
/// <remarks>
/// v15 moved the replica id into a tagged <c>ReplicaState</c> that only followers send, v16 added leader endpoints to
/// the response (a tagged field), v17 and v18 added tagged fields only followers send: for a consumer v15–v18 are
/// written the same way.
/// </remarks>
internal sealed class FetchRequest : KafkaRequest<FetchResponse>
{
    /// <summary>The first version that names topics by id.</summary>
    public const short FirstTopicIdVersion = 13;

    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.Fetch;

    /// <summary>How long the broker may wait for <see cref="MinBytes"/> to accumulate, in milliseconds.</summary>
    public int MaxWaitMs { get; set; }

    /// <summary>The least data the broker should return, unless <see cref="MaxWaitMs"/> passes first.</summary>
    public int MinBytes { get; set; } = 1;

    /// <summary>The most data the whole response should hold (the first batch is returned even if larger, KIP-74).</summary>
    /// <value>The default value is <see cref="int.MaxValue"/>, the protocol's default.</value>
    public int MaxBytes { get; set; } = int.MaxValue;

    /// <summary>0 (read uncommitted) or 1 (read committed: only records below the last stable offset, with the aborted transactions listed).</summary>
    public sbyte IsolationLevel { get; set; }

    /// <summary>The consumer's rack (v11+), for fetching from the closest replica; empty for none.</summary>
    public string RackId { get; set; } = string.Empty;

    /// <summary>The partitions to fetch, grouped by topic, in the order the broker should fill them.</summary>
    public IReadOnlyList<FetchTopic> Topics { get; set; } = [];

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        if (version < 15)
        {
            writer.WriteInt32(-1); // replica id: a consumer
        }
        writer.WriteInt32(MaxWaitMs);
        writer.WriteInt32(MinBytes);
        writer.WriteInt32(MaxBytes);
        writer.WriteInt8(IsolationLevel);
        if (version >= 7)
        {
            writer.WriteInt32(0);  // session id: no session
            writer.WriteInt32(-1); // session epoch: a full fetch, no session wanted
        }
        var topics = Topics;
        writer.WriteArrayLength(topics.Count, flexible);
        for (var t = 0; t < topics.Count; t++)
        {
            var topic = topics[t];
            if (version >= FirstTopicIdVersion)
            {
                if (topic.TopicId == Guid.Empty)
                {
                    throw new KafkaVersionException(
                        $"Fetch v{version} names topics by id, and the id of topic '{topic.Name}' is not known (Metadata v10+ reports it).");
                }
                writer.WriteUuid(topic.TopicId);
            }
            else
            {
                writer.WriteString(topic.Name, flexible);
            }
            var partitions = topic.Partitions;
            writer.WriteArrayLength(partitions.Count, flexible);
            for (var p = 0; p < partitions.Count; p++)
            {
                var partition = partitions[p];
                writer.WriteInt32(partition.PartitionIndex);
                if (version >= 9)
                {
                    writer.WriteInt32(partition.CurrentLeaderEpoch);
                }
                writer.WriteInt64(partition.FetchOffset);
                if (version >= 12)
                {
                    writer.WriteInt32(-1); // last fetched epoch: only followers validate it
                }
                if (version >= 5)
                {
                    writer.WriteInt64(-1); // log start offset: only followers send it
                }
                writer.WriteInt32(partition.PartitionMaxBytes);
                writer.WriteEmptyTaggedFieldsIf(flexible);
            }
            writer.WriteEmptyTaggedFieldsIf(flexible);
        }
        if (version >= 7)
        {
            writer.WriteArrayLength(0, flexible); // forgotten topics: none without a session
        }
        if (version >= 11)
        {
            writer.WriteString(RackId, flexible);
        }
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    /// <inheritdoc/>
    public override FetchResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);
        var throttleTimeMs = reader.ReadInt32();
        var errorCode = KafkaErrorCode.None;
        if (version >= 7)
        {
            errorCode = (KafkaErrorCode)reader.ReadInt16();
            reader.ReadInt32(); // session id
        }

        // Smallest topic: an empty name (or a 16-byte id) and an empty partition array.
        var topicCount = reader.ReadCount(flexible, version >= FirstTopicIdVersion ? 17 : flexible ? 2 : 6);
        var topics = new FetchTopicResponse[topicCount];
        for (var t = 0; t < topics.Length; t++)
        {
            string? name = null;
            var topicId = Guid.Empty;
            if (version >= FirstTopicIdVersion)
            {
                topicId = reader.ReadUuid();
            }
            else
            {
                name = reader.ReadString(flexible);
            }

            // Smallest partition: index, error, high watermark, LSO, log start, aborted (1 or 4), [replica], records (1 or 4).
            var minPartition = 4 + 2 + 8 + 8 + (version >= 5 ? 8 : 0) + (flexible ? 1 : 4) + (version >= 11 ? 4 : 0) + (flexible ? 2 : 4);
            var partitionCount = reader.ReadCount(flexible, minPartition);
            var partitions = new FetchPartitionResponse[partitionCount];
            for (var p = 0; p < partitions.Length; p++)
            {
                var partitionIndex = reader.ReadInt32();
                var partitionError = (KafkaErrorCode)reader.ReadInt16();
                var highWatermark = reader.ReadInt64();
                var lastStableOffset = reader.ReadInt64();
                var logStartOffset = version >= 5 ? reader.ReadInt64() : -1;
                var abortedCount = reader.ReadArrayLength(flexible);
                AbortedTransaction[]? aborted = null;
                if (abortedCount >= 0)
                {
                    if ((long)abortedCount * 16 > reader.Remaining)
                    {
                        throw new KafkaProtocolException(
                            $"{abortedCount} aborted transactions at position {reader.Position} need {(long)abortedCount * 16} bytes; {reader.Remaining} remain.");
                    }
                    aborted = abortedCount == 0 ? [] : new AbortedTransaction[abortedCount];
                    for (var a = 0; a < abortedCount; a++)
                    {
                        aborted[a] = new AbortedTransaction(reader.ReadInt64(), reader.ReadInt64());
                        reader.SkipTaggedFieldsIf(flexible);
                    }
                }
                var preferredReadReplica = version >= 11 ? reader.ReadInt32() : -1;
                var recordsStart = -1;
                var recordsLength = 0;
                if (reader.TryReadNullableBytes(flexible, out var records))
                {
                    recordsLength = records.Length;
                    recordsStart = reader.Position - records.Length;
                }
                reader.SkipTaggedFieldsIf(flexible);
                partitions[p] = new FetchPartitionResponse(
                    partitionIndex, partitionError, highWatermark, lastStableOffset, logStartOffset, aborted, preferredReadReplica,
                    recordsStart, recordsLength);
            }
            reader.SkipTaggedFieldsIf(flexible);
            topics[t] = new FetchTopicResponse(name, topicId, partitions);
        }
        reader.SkipTaggedFieldsIf(flexible);
        return new FetchResponse(throttleTimeMs, errorCode, topics);
    }
}

/// <summary>The partitions of one topic to fetch.</summary>
/// <param name="Name">The topic name (sent before v13).</param>
/// <param name="TopicId">The topic id (sent from v13).</param>
/// <param name="Partitions">The partitions, in the order the broker should fill them.</param>
internal sealed record FetchTopic(string Name, Guid TopicId, IReadOnlyList<FetchPartition> Partitions);

/// <summary>One partition to fetch.</summary>
/// <param name="PartitionIndex">The partition number.</param>
/// <param name="FetchOffset">The first offset wanted.</param>
/// <param name="PartitionMaxBytes">The most data to return for this partition (the first batch is returned even if larger).</param>
/// <param name="CurrentLeaderEpoch">The leader epoch the client knows (v9+), so that a stale leader is fenced; -1 to skip the check.</param>
internal readonly record struct FetchPartition(int PartitionIndex, long FetchOffset, int PartitionMaxBytes, int CurrentLeaderEpoch = -1);
