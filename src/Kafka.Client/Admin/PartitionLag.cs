namespace Kafka.Client.Admin;

/// <summary>How far a group is behind on one partition.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="CommittedOffset">The group's committed offset (the next message it will read), or -1 when it has none.</param>
/// <param name="EndOffset">The partition's end offset (high watermark), or -1 when it could not be read.</param>
/// <param name="Lag">End offset minus committed offset (never negative), or null when either is unknown.</param>
public sealed record PartitionLag(TopicAndPartition Partition, long CommittedOffset, long EndOffset, long? Lag);
