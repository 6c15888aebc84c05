namespace Kafka.Client;

/// <summary>A uniformly random partition for every message, ignoring keys (librdkafka's <c>random</c>).</summary>
public sealed class RandomPartitioner : IPartitioner
{
    /// <inheritdoc/>
    public int GetPartition(string topic, int partitionCount, ReadOnlySpan<byte> key, bool hasKey)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        return Random.Shared.Next(partitionCount);
    }
}
