namespace Kafka.Client.Admin;

/// <summary>A group's lag on every partition it has committed offsets for (<see cref="KafkaAdmin.GetConsumerLagAsync(string, CancellationToken)"/>).</summary>
/// <param name="GroupId">The group.</param>
/// <param name="Partitions">One entry per partition, ordered by topic and partition.</param>
public sealed record ConsumerGroupLag(string GroupId, IReadOnlyList<PartitionLag> Partitions)
{
    /// <summary>The sum of the partitions' known lags.</summary>
    public long TotalLag => Partitions.Sum(p => p.Lag ?? 0);
}
