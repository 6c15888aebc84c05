namespace Kafka.Client.Protocol;

/// <summary>
/// Shares the node-id arrays of one Metadata response: a cluster of a hundred thousand partitions has only a few
/// distinct replica and ISR lists (a handful of brokers in a handful of orders), so each distinct list is read into
/// one array that every partition with that list points to. The table is bounded; past its size lists are read into
/// arrays of their own, which is only slower, never wrong.
/// </summary>
internal sealed class NodeIdSets
{
    private const int Slots = 1024; // a power of two; filled to half at most
    private const int MaxShared = Slots / 2;
    private const int MaxSharedLength = 16;

    private readonly int[]?[] _table = new int[]?[Slots];
    private readonly List<int[]> _distinct = [];

    /// <summary>The distinct shared arrays, in the order first read.</summary>
    public IReadOnlyList<int[]> Distinct => _distinct;

    /// <summary>Reads a non-null int32 array (a null array reads as empty), sharing it with an equal one already read.</summary>
    public int[] Read(ref KafkaReader reader, bool compact)
    {
        var count = reader.ReadCount(compact, sizeof(int));
        if (count == 0)
        {
            return [];
        }
        if (count > MaxSharedLength)
        {
            return Fill(ref reader, new int[count]);
        }
        Span<int> values = stackalloc int[count];
        var hash = 17;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.ReadInt32();
            hash = unchecked((hash * 31) + values[i]);
        }
        var slot = (hash ^ (hash >> 16)) & (Slots - 1);
        while (_table[slot] is { } existing)
        {
            if (values.SequenceEqual(existing))
            {
                return existing;
            }
            slot = (slot + 1) & (Slots - 1);
        }
        var array = values.ToArray();
        if (_distinct.Count < MaxShared)
        {
            _table[slot] = array;
            _distinct.Add(array);
        }
        return array;
    }

    private static int[] Fill(ref KafkaReader reader, int[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = reader.ReadInt32();
        }
        return values;
    }
}
