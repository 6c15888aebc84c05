namespace Kafka.Client.Protocol;

/// <summary>
/// Produce (key 0): record batches for partitions of topics. v0–v12; flexible from v9 (v11 and v12 keep v10's shape; v12 adds a
/// transactional producer's partitions to its transaction, KIP-890). v0–v2 carry legacy message
/// sets (magic 0 and 1) and are only negotiated when the client's <c>BrokerVersion</c> names a release
/// before 0.11; v3 and later carry record batches v2 and add the transactional id. With <see cref="Acks"/> = 0 the
/// broker sends no response at all.
/// </summary>
/// <remarks>
/// The records of each partition are written as they are: the producer builds and compresses batches before the
/// request, and this codec only frames them.
/// </remarks>
internal sealed class ProduceRequest : KafkaRequest<ProduceResponse>
{
    /// <inheritdoc/>
    public override ApiInfo Api => KnownApis.Produce;

    /// <summary>No response is sent for acks = 0, so the connection must not wait for one.</summary>
    public override bool ExpectsResponse => Acks != 0;

    /// <summary>The transactional id (v3+); null for a producer outside transactions. Cannot be sent before v3.</summary>
    public string? TransactionalId { get; set; }

    /// <summary>0 (no acknowledgement), 1 (the leader) or -1 (every in-sync replica).</summary>
    /// <value>The default value is -1.</value>
    public short Acks { get; set; } = -1;

    /// <summary>How long the broker may wait for replicas to acknowledge, in milliseconds.</summary>
    public int TimeoutMs { get; set; }

    /// <summary>The records to produce, grouped by topic.</summary>
    public IReadOnlyList<ProduceTopicData> Topics { get; set; } = [];

    /// <summary>
    /// Whether <see cref="ReadResponse"/> reads every answer into one response this request keeps (its arrays, topic
    /// objects and names reused) instead of a new one: for a producer that reuses its requests, so that answers
    /// allocate nothing once warm. Each answer overwrites the previous one, which must no longer be in use.
    /// </summary>
    public bool ReuseResponse { get; init; }

    private ProduceResponse? _response;

    /// <inheritdoc/>
    public override void Write(KafkaWriter writer, short version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Api.ThrowIfUnsupported(version);
        if (TransactionalId is not null && version < 3)
        {
            throw new KafkaVersionException($"Produce v{version} has no transactional id: transactions need v3 or later.");
        }
        var flexible = Api.IsFlexible(version);
        if (version >= 3)
        {
            writer.WriteNullableString(TransactionalId, flexible);
        }
        writer.WriteInt16(Acks);
        writer.WriteInt32(TimeoutMs);
        TopicArrays.Write<ProduceTopicData, ProducePartitionData>(writer, Topics, version, flexible, WritePartition);
        writer.WriteEmptyTaggedFieldsIf(flexible);
    }

    private static void WritePartition(KafkaWriter writer, string topic, ProducePartitionData partition, short version, bool flexible)
    {
        writer.WriteInt32(partition.Index);
        writer.WriteNullableBytes(partition.Records, flexible);
    }

    /// <inheritdoc/>
    public override ProduceResponse ReadResponse(ref KafkaReader reader, short version)
    {
        Api.ThrowIfUnsupported(version);
        var flexible = Api.IsFlexible(version);

        var response = ReuseResponse ? _response ??= new ProduceResponse() : new ProduceResponse();
        // Smallest topic entry: an empty name and an empty partition array.
        var topicCount = reader.ReadCount(flexible, flexible ? 2 : 6);
        var topics = response.TopicSlots(topicCount);
        for (var t = 0; t < topicCount; t++)
        {
            var topic = topics[t] ??= new ProduceTopicResponse();
            topic.SetName(reader.ReadStringBytes(flexible));
            // Each partition: index, error code, base offset (+ append time, + log start offset, + errors...).
            var minPartitionSize = 4 + 2 + 8 + (version >= 2 ? 8 : 0) + (version >= 5 ? 8 : 0) + (version >= 8 ? (flexible ? 2 : 6) : 0) + (flexible ? 1 : 0);
            var partitionCount = reader.ReadCount(flexible, minPartitionSize);
            var partitions = topic.PartitionSlots(partitionCount);
            for (var p = 0; p < partitionCount; p++)
            {
                partitions[p] = ReadPartition(ref reader, version, flexible);
            }
            reader.SkipTaggedFieldsIf(flexible);
            topic.Partitions = new ArraySegment<ProducePartitionResponse>(partitions, 0, partitionCount);
        }
        response.Topics = new ArraySegment<ProduceTopicResponse>(topics, 0, topicCount);
        var throttleTimeMs = version >= 1 ? reader.ReadInt32() : 0;
        IReadOnlyList<ProduceNodeEndpoint> endpoints = [];
        if (flexible)
        {
            var count = reader.ReadUnsignedVarInt();
            for (uint i = 0; i < count; i++)
            {
                var field = ReadTaggedField(ref reader, out var tag);
                if (tag == 0 && version >= 10)
                {
                    endpoints = ReadNodeEndpoints(ref field);
                    EnsureConsumed(ref field, tag);
                }
            }
        }
        response.ThrottleTimeMs = throttleTimeMs;
        response.NodeEndpoints = endpoints;
        return response;
    }

    private static ProducePartitionResponse ReadPartition(ref KafkaReader reader, short version, bool flexible)
    {
        var index = reader.ReadInt32();
        var errorCode = (KafkaErrorCode)reader.ReadInt16();
        var baseOffset = reader.ReadInt64();
        var logAppendTime = version >= 2 ? reader.ReadInt64() : -1;
        var logStartOffset = version >= 5 ? reader.ReadInt64() : -1;
        IReadOnlyList<ProduceRecordError> recordErrors = [];
        string? errorMessage = null;
        if (version >= 8)
        {
            // Each record error: batch index and a message (+ tags): six bytes at least either way.
            var errorCount = reader.ReadCount(flexible, 6);
            if (errorCount > 0)
            {
                var errors = new ProduceRecordError[errorCount];
                for (var i = 0; i < errors.Length; i++)
                {
                    var batchIndex = reader.ReadInt32();
                    var message = reader.ReadNullableString(flexible);
                    reader.SkipTaggedFieldsIf(flexible);
                    errors[i] = new ProduceRecordError(batchIndex, message);
                }
                recordErrors = errors;
            }
            errorMessage = reader.ReadNullableString(flexible);
        }
        var leaderId = -1;
        var leaderEpoch = -1;
        if (flexible)
        {
            var count = reader.ReadUnsignedVarInt();
            for (uint i = 0; i < count; i++)
            {
                var field = ReadTaggedField(ref reader, out var tag);
                if (tag == 0 && version >= 10)
                {
                    leaderId = field.ReadInt32();
                    leaderEpoch = field.ReadInt32();
                    field.SkipTaggedFields();
                    EnsureConsumed(ref field, tag);
                }
            }
        }
        return new ProducePartitionResponse(index, errorCode, baseOffset, logAppendTime, logStartOffset)
        {
            RecordErrors = recordErrors,
            ErrorMessage = errorMessage,
            CurrentLeaderId = leaderId,
            CurrentLeaderEpoch = leaderEpoch,
        };
    }

    private static ProduceNodeEndpoint[] ReadNodeEndpoints(ref KafkaReader reader)
    {
        // Each endpoint: node id, host (at least its length), port, rack, tags.
        var count = reader.ReadCount(compact: true, 4 + 1 + 4 + 1 + 1);
        var endpoints = new ProduceNodeEndpoint[count];
        for (var i = 0; i < endpoints.Length; i++)
        {
            var nodeId = reader.ReadInt32();
            var host = reader.ReadString(compact: true);
            var port = reader.ReadInt32();
            var rack = reader.ReadNullableString(compact: true);
            reader.SkipTaggedFields();
            endpoints[i] = new ProduceNodeEndpoint(nodeId, host, port, rack);
        }
        return endpoints;
    }

    /// <summary>Reads one tagged field's header and returns a reader over its data (unknown tags are simply not read).</summary>
    private static KafkaReader ReadTaggedField(ref KafkaReader reader, out uint tag)
    {
        tag = reader.ReadUnsignedVarInt();
        var size = reader.ReadUnsignedVarInt();
        if (size > (uint)reader.Remaining)
        {
            throw new KafkaProtocolException($"A tagged field of {size} bytes exceeds the {reader.Remaining} bytes that remain.");
        }
        return new KafkaReader(reader.ReadRaw((int)size));
    }

    private static void EnsureConsumed(ref KafkaReader field, uint tag)
    {
        if (!field.End)
        {
            throw new KafkaProtocolException($"Tagged field {tag} has {field.Remaining} unexpected trailing bytes.");
        }
    }
}

/// <summary>The partitions of one topic to produce to.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="Partitions">The records of each partition.</param>
internal readonly record struct ProduceTopicData(string Name, IReadOnlyList<ProducePartitionData> Partitions) : ITopicPartitions<ProducePartitionData>;

/// <summary>The records of one partition: one record batch v2 (or, before v3, one message set).</summary>
/// <param name="Index">The partition number.</param>
/// <param name="Records">The encoded records; null is allowed by the protocol but never sent by the producer.</param>
internal readonly record struct ProducePartitionData(int Index, ReadOnlyMemory<byte>? Records);
