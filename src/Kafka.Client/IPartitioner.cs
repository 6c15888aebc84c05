namespace Kafka.Client;

/// <summary>
/// Chooses the partition of each message (pykafka's partitioner callable). Called on the producing thread for every
/// message, so it must be thread-safe and should not allocate.
/// </summary>
/// <remarks>
/// Built in: <see cref="Murmur2Partitioner"/> (the default: the same partition for the same key as the Java client
/// and librdkafka's <c>murmur2_random</c>), <see cref="RoundRobinPartitioner"/> (pykafka's default
/// <c>RandomPartitioner</c>, which is in fact round-robin), <see cref="RandomPartitioner"/> and
/// <see cref="HashingPartitioner"/> (pykafka's SHA-1 <c>HashingPartitioner</c>).
/// </remarks>
public interface IPartitioner
{
    /// <summary>Returns the index, from 0 to <paramref name="partitionCount"/> - 1, of the partition for a message.</summary>
    /// <param name="topic">The topic being produced to.</param>
    /// <param name="partitionCount">How many partitions the topic has (at least 1). Index i is partition i.</param>
    /// <param name="key">The message's partition key; empty when it has none.</param>
    /// <param name="hasKey">False when the message has no key (as opposed to an empty one).</param>
    int GetPartition(string topic, int partitionCount, ReadOnlySpan<byte> key, bool hasKey);
}
