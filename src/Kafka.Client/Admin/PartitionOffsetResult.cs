namespace Kafka.Client.Admin;

/// <summary>
/// An offset of one partition, or why there is none: a group's committed offset (<see cref="KafkaAdmin.ListGroupOffsetsAsync"/>,
/// <see cref="KafkaAdmin.AlterGroupOffsetsAsync"/>) or the new log start offset (<see cref="KafkaAdmin.DeleteRecordsAsync"/>).
/// </summary>
/// <param name="Partition">The partition.</param>
/// <param name="Offset">The offset, or -1 when the group has none or the operation failed.</param>
/// <param name="Error">Why the operation failed for this partition, or <see langword="null"/>.</param>
public sealed record PartitionOffsetResult(TopicAndPartition Partition, long Offset, KafkaBrokerException? Error)
{
    /// <summary>Whether the operation succeeded for this partition.</summary>
    public bool Succeeded => Error is null;
}
