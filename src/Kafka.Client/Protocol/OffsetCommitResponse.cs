namespace Kafka.Client.Protocol;

/// <summary>A coordinator's answer to <see cref="OffsetCommitRequest"/>: an error code per partition.</summary>
internal sealed class OffsetCommitResponse
{
    /// <summary>How long the broker throttled the request for a quota violation (v3+; 0 before).</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The results, grouped by topic.</summary>
    public IReadOnlyList<OffsetCommitTopicResponse> Topics { get; init; } = [];
}

/// <summary>The results for one topic.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="Partitions">The result for each partition.</param>
internal sealed record OffsetCommitTopicResponse(string Name, IReadOnlyList<OffsetCommitPartitionResponse> Partitions);

/// <summary>The result for one partition.</summary>
/// <param name="PartitionIndex">The partition number.</param>
/// <param name="ErrorCode">NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, UNKNOWN_MEMBER_ID, OFFSET_METADATA_TOO_LARGE...</param>
internal readonly record struct OffsetCommitPartitionResponse(int PartitionIndex, KafkaErrorCode ErrorCode);
