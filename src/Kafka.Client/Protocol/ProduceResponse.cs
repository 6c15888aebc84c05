namespace Kafka.Client.Protocol;

/// <summary>A broker's answer to <see cref="ProduceRequest"/> (none is sent for acks = 0).</summary>
internal sealed class ProduceResponse
{
    /// <summary>The result of each partition, grouped by topic.</summary>
    public IReadOnlyList<ProduceTopicResponse> Topics { get; init; } = [];

    /// <summary>How long the broker throttled the request for a quota violation (v1+; 0 before).</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>
    /// The current leaders of partitions answered NOT_LEADER_OR_FOLLOWER (v10+, a tagged field, KIP-951); empty when
    /// the broker sent none.
    /// </summary>
    public IReadOnlyList<ProduceNodeEndpoint> NodeEndpoints { get; init; } = [];
}

/// <summary>The results for one topic.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="Partitions">The result of each partition produced to.</param>
internal sealed record ProduceTopicResponse(string Name, IReadOnlyList<ProducePartitionResponse> Partitions);

/// <summary>The result for one partition.</summary>
/// <param name="Index">The partition number.</param>
/// <param name="ErrorCode">The partition's error, or NONE.</param>
/// <param name="BaseOffset">The offset given to the first record, or -1 on error (or for a duplicate batch).</param>
/// <param name="LogAppendTimeMs">
/// The broker's append time when the topic uses log-append time (v2+); -1 when records keep their create time.
/// </param>
/// <param name="LogStartOffset">The partition's log start offset (v5+); -1 before.</param>
internal sealed record ProducePartitionResponse(int Index, KafkaErrorCode ErrorCode, long BaseOffset, long LogAppendTimeMs, long LogStartOffset)
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
