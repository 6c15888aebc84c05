using Kafka.Client.Internal.Producing;

namespace Kafka.Client;

/// <summary>
/// The partition of a keyed message is the positive 32-bit murmur2 hash of its key modulo the partition count, as the
/// Java client's default partitioner and librdkafka's <c>murmur2_random</c> compute it, so that a key lands on the
/// same partition whichever of these clients produced it. Messages without a key go to a random partition (as
/// <c>murmur2_random</c>; an empty key is a key and is hashed). The producer's default.
/// </summary>
public sealed class Murmur2Partitioner : IPartitioner
{
    /// <inheritdoc/>
    public int GetPartition(string topic, int partitionCount, ReadOnlySpan<byte> key, bool hasKey)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        if (!hasKey)
        {
            return Random.Shared.Next(partitionCount);
        }
        return (int)((Murmur2.Hash(key) & 0x7fffffff) % partitionCount);
    }
}
