using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Kafka.Client.Internal;

/// <summary>
/// A topic's partitions by id. Kafka numbers a topic's partitions 0..n-1, so they are kept in an array indexed by id:
/// lookups are an index, enumeration is in id order, and a topic of many partitions costs one array rather than a
/// hash table. Ids that are not 0..n-1 (a malformed answer) fall back to a dictionary. Never changed once built.
/// </summary>
internal sealed class PartitionMap : IReadOnlyDictionary<int, Partition>
{
    public static readonly PartitionMap Empty = new([], null);

    private readonly Partition[] _dense;
    private readonly Dictionary<int, Partition>? _sparse;

    private PartitionMap(Partition[] dense, Dictionary<int, Partition>? sparse)
    {
        _dense = dense;
        _sparse = sparse;
    }

    /// <summary>Builds the map of <paramref name="partitions"/>; the array is kept when its ids are 0..n-1 in order.</summary>
    public static PartitionMap Create(Partition[] partitions)
    {
        for (var i = 0; i < partitions.Length; i++)
        {
            if (partitions[i].Id != i)
            {
                return Sort(partitions);
            }
        }
        return new PartitionMap(partitions, null);
    }

    private static PartitionMap Sort(Partition[] partitions)
    {
        var dense = new Partition?[partitions.Length];
        foreach (var partition in partitions)
        {
            if ((uint)partition.Id >= (uint)dense.Length || dense[partition.Id] is not null)
            {
                var sparse = new Dictionary<int, Partition>(partitions.Length);
                foreach (var p in partitions)
                {
                    sparse[p.Id] = p;
                }
                return new PartitionMap([], sparse);
            }
            dense[partition.Id] = partition;
        }
        return new PartitionMap(dense!, null);
    }

    public Partition this[int key] =>
        TryGetValue(key, out var partition) ? partition : throw new KeyNotFoundException($"The topic has no partition {key}.");

    public IEnumerable<int> Keys
    {
        get
        {
            foreach (var (id, _) in this)
            {
                yield return id;
            }
        }
    }

    public IEnumerable<Partition> Values => _sparse?.Values ?? (IEnumerable<Partition>)_dense;

    public int Count => _sparse?.Count ?? _dense.Length;

    public bool ContainsKey(int key) => TryGetValue(key, out _);

    public bool TryGetValue(int key, [MaybeNullWhen(false)] out Partition value)
    {
        if (_sparse is not null)
        {
            return _sparse.TryGetValue(key, out value);
        }
        if ((uint)key < (uint)_dense.Length)
        {
            value = _dense[key];
            return true;
        }
        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<int, Partition>> GetEnumerator()
    {
        if (_sparse is not null)
        {
            foreach (var pair in _sparse)
            {
                yield return pair;
            }
            yield break;
        }
        foreach (var partition in _dense)
        {
            yield return new KeyValuePair<int, Partition>(partition.Id, partition);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
