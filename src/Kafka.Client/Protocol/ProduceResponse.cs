namespace Kafka.Client.Protocol;

/// <summary>A broker's answer to <see cref="ProduceRequest"/> (none is sent for acks = 0).</summary>
/// <remarks>
/// A request that reuses its response (<see cref="ProduceRequest.ReuseResponse"/>) reads every answer into the same
/// instance, reusing its arrays, topic objects and topic names: hence segments and settable members.
/// </remarks>
internal sealed class ProduceResponse
{
    private ProduceTopicResponse[] _topics = [];

    /// <summary>The result of each partition, grouped by topic.</summary>
    public ArraySegment<ProduceTopicResponse> Topics { get; internal set; } = ArraySegment<ProduceTopicResponse>.Empty;

    /// <summary>How long the broker throttled the request for a quota violation (v1+; 0 before).</summary>
    public int ThrottleTimeMs { get; internal set; }

    /// <summary>
    /// The current leaders of partitions answered NOT_LEADER_OR_FOLLOWER (v10+, a tagged field, KIP-951); empty when
    /// the broker sent none.
    /// </summary>
    public IReadOnlyList<ProduceNodeEndpoint> NodeEndpoints { get; internal set; } = [];

    /// <summary>Room for <paramref name="count"/> topics, keeping the topic objects of earlier answers.</summary>
    internal ProduceTopicResponse[] TopicSlots(int count)
    {
        if (_topics.Length < count)
        {
            Array.Resize(ref _topics, count);
        }
        return _topics;
    }
}

/// <summary>The results for one topic.</summary>
internal sealed class ProduceTopicResponse
{
    private ProducePartitionResponse[] _partitions = [];
    private byte[] _nameUtf8 = [];

    /// <summary>The topic name.</summary>
    public string Name { get; private set; } = string.Empty;

    /// <summary>The result of each partition produced to.</summary>
    public ArraySegment<ProducePartitionResponse> Partitions { get; internal set; } = ArraySegment<ProducePartitionResponse>.Empty;

    /// <summary>Sets the name from its UTF-8 bytes, keeping the string of the last answer when they are the same.</summary>
    internal void SetName(ReadOnlySpan<byte> utf8)
    {
        if (!utf8.SequenceEqual(_nameUtf8))
        {
            Name = System.Text.Encoding.UTF8.GetString(utf8);
            _nameUtf8 = utf8.ToArray();
        }
    }

    /// <summary>Room for <paramref name="count"/> partition results.</summary>
    internal ProducePartitionResponse[] PartitionSlots(int count)
    {
        if (_partitions.Length < count)
        {
            _partitions = new ProducePartitionResponse[count];
        }
        return _partitions;
    }
}

/// <summary>The result for one partition.</summary>
/// <param name="Index">The partition number.</param>
/// <param name="ErrorCode">The partition's error, or NONE.</param>
/// <param name="BaseOffset">The offset given to the first record, or -1 on error (or for a duplicate batch).</param>
/// <param name="LogAppendTimeMs">
/// The broker's append time when the topic uses log-append time (v2+); -1 when records keep their create time.
/// </param>
/// <param name="LogStartOffset">The partition's log start offset (v5+); -1 before.</param>
internal readonly record struct ProducePartitionResponse(int Index, KafkaErrorCode ErrorCode, long BaseOffset, long LogAppendTimeMs, long LogStartOffset)
{
    /// <summary>The records that made the broker drop the batch (v8+).</summary>
    public IReadOnlyList<ProduceRecordError> RecordErrors { get; init; } = [];

    /// <summary>A message summarizing why the batch was dropped (v8+), or null.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>The partition's current leader (v10+ tagged field, sent with NOT_LEADER_OR_FOLLOWER), or -1.</summary>
    public int CurrentLeaderId { get; init; } = -1;

    /// <summary>That leader's epoch, or -1.</summary>
    public int CurrentLeaderEpoch { get; init; } = -1;
}

/// <summary>A record that made the broker drop its batch (v8+).</summary>
/// <param name="BatchIndex">The record's index in the batch.</param>
/// <param name="Message">Why, or null.</param>
internal sealed record ProduceRecordError(int BatchIndex, string? Message);

/// <summary>A broker named as a partition's new leader (v10+).</summary>
/// <param name="NodeId">The broker id.</param>
/// <param name="Host">Its host.</param>
/// <param name="Port">Its port.</param>
/// <param name="Rack">Its rack, or null.</param>
internal sealed record ProduceNodeEndpoint(int NodeId, string Host, int Port, string? Rack);
