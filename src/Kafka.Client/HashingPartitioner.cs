using System.Security.Cryptography;

namespace Kafka.Client;

/// <summary>
/// pykafka's <c>HashingPartitioner</c> with its default hash: the key's SHA-1 digest read as one 160-bit unsigned
/// number, modulo the partition count. Use it to keep the partitions pykafka producers chose; other clients hash with
/// murmur2 (<see cref="Murmur2Partitioner"/>). A message without a key is refused, as pykafka refuses it.
/// </summary>
public sealed class HashingPartitioner : IPartitioner
{
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The message has no key.</exception>
    public int GetPartition(string topic, int partitionCount, ReadOnlySpan<byte> key, bool hasKey)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        if (!hasKey)
        {
            throw new ArgumentException("The hashing partitioner needs a partition key; this message has none.", nameof(key));
        }
        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(key, digest);
        // The digest as a big-endian number, reduced modulo the count one byte at a time.
        ulong remainder = 0;
        foreach (var b in digest)
        {
            remainder = ((remainder << 8) | b) % (ulong)partitionCount;
        }
        return (int)remainder;
    }
}
