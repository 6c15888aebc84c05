namespace Kafka.Client;

/// <summary>
/// Spreads messages over the partitions in turn, ignoring keys: pykafka's default <c>RandomPartitioner</c>, which is
/// a round-robin counter despite its name. Thread-safe; each instance keeps its own counter.
/// </summary>
public sealed class RoundRobinPartitioner : IPartitioner
{
    private uint _next = uint.MaxValue;

    /// <inheritdoc/>
    public int GetPartition(string topic, int partitionCount, ReadOnlySpan<byte> key, bool hasKey)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        return (int)(Interlocked.Increment(ref _next) % (uint)partitionCount);
    }
}
