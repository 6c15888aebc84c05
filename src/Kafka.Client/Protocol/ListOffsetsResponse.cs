namespace Kafka.Client.Protocol;

/// <summary>A broker's answer to <see cref="ListOffsetsRequest"/>.</summary>
internal sealed class ListOffsetsResponse
{
    /// <summary>How long the broker throttled the request for a quota violation (v2+; 0 before).</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The results, grouped by topic.</summary>
    public IReadOnlyList<ListOffsetsTopicResponse> Topics { get; init; } = [];
}

/// <summary>The results for one topic.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="Partitions">The result for each partition asked for.</param>
internal sealed record ListOffsetsTopicResponse(string Name, IReadOnlyList<ListOffsetsPartitionResponse> Partitions);

/// <summary>The result for one partition.</summary>
/// <param name="PartitionIndex">The partition number.</param>
/// <param name="ErrorCode">The partition's error (NOT_LEADER_OR_FOLLOWER, OFFSET_NOT_AVAILABLE...).</param>
/// <param name="Timestamp">The timestamp of the record at <paramref name="Offset"/>, or -1.</param>
/// <param name="Offset">The offset found, or -1.</param>
/// <param name="LeaderEpoch">The leader epoch of that offset (v4+); -1 before v4.</param>
internal sealed record ListOffsetsPartitionResponse(int PartitionIndex, KafkaErrorCode ErrorCode, long Timestamp, long Offset, int LeaderEpoch);
