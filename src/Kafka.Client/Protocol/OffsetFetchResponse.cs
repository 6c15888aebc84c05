namespace Kafka.Client.Protocol;

/// <summary>A coordinator's answer to <see cref="OffsetFetchRequest"/>.</summary>
internal sealed class OffsetFetchResponse
{
    /// <summary>How long the broker throttled the request for a quota violation (v3+; 0 before).</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The error for the whole group (v2+: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS...); none before v2.</summary>
    public KafkaErrorCode ErrorCode { get; init; }

    /// <summary>The committed offsets, grouped by topic.</summary>
    public IReadOnlyList<OffsetFetchTopicResponse> Topics { get; init; } = [];
}

/// <summary>The committed offsets of one topic.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="Partitions">One entry per partition.</param>
internal sealed record OffsetFetchTopicResponse(string Name, IReadOnlyList<OffsetFetchPartitionResponse> Partitions);

/// <summary>The committed offset of one partition.</summary>
/// <param name="PartitionIndex">The partition number.</param>
/// <param name="CommittedOffset">The offset committed (the next record to read), or -1 when the group has none.</param>
/// <param name="CommittedLeaderEpoch">The leader epoch committed with it (v5+), or -1.</param>
/// <param name="Metadata">The text committed with it, or <see langword="null"/>.</param>
/// <param name="ErrorCode">The partition's error (v1: also group errors; UNSTABLE_OFFSET_COMMIT from v7).</param>
internal sealed record OffsetFetchPartitionResponse(int PartitionIndex, long CommittedOffset, int CommittedLeaderEpoch, string? Metadata, KafkaErrorCode ErrorCode);
