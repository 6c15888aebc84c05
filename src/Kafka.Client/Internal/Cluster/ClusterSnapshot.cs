using Kafka.Client.Protocol;

namespace Kafka.Client.Internal;

/// <summary>
/// One consistent view of the cluster, as of one metadata response. Never changed after it is published;
/// a refresh builds a new snapshot and swaps it in, so readers never see half an update.
/// </summary>
internal sealed class ClusterSnapshot
{
    public static readonly ClusterSnapshot Empty = new(new Dictionary<int, Broker>(), new Dictionary<string, MetadataTopic>(StringComparer.Ordinal), -1, null);

    // The brokers of each node-id array the response's partitions share, resolved once for all of them.
    private readonly Dictionary<int[], Broker[]> _resolved;

    public ClusterSnapshot(
        IReadOnlyDictionary<int, Broker> brokers, IReadOnlyDictionary<string, MetadataTopic> topics, int controllerId, string? clusterId,
        IReadOnlyList<int[]>? sharedNodeIds = null)
    {
        Brokers = brokers;
        Topics = topics;
        ControllerId = controllerId;
        ClusterId = clusterId;
        _resolved = new Dictionary<int[], Broker[]>(sharedNodeIds?.Count ?? 0, ReferenceEqualityComparer.Instance);
        if (sharedNodeIds is not null)
        {
            foreach (var ids in sharedNodeIds)
            {
                _resolved[ids] = Resolve(ids, brokers);
            }
        }
    }

    public IReadOnlyDictionary<int, Broker> Brokers { get; }

    /// <summary>Every topic the metadata listed, internal ones included (filtering is the topic dictionary's job).</summary>
    public IReadOnlyDictionary<string, MetadataTopic> Topics { get; }

    public int ControllerId { get; }

    public string? ClusterId { get; }

    public Broker? Controller => Brokers.GetValueOrDefault(ControllerId);

    /// <summary>Topic names by topic id, for the messages that name topics by id (KIP-848 and KIP-932 assignments).</summary>
    public Dictionary<Guid, string> TopicNamesById()
    {
        var names = new Dictionary<Guid, string>();
        foreach (var (name, topic) in Topics)
        {
            if (topic.TopicId != Guid.Empty)
            {
                names[topic.TopicId] = name;
            }
        }
        return names;
    }

    /// <summary>
    /// The brokers of <paramref name="ids"/> this snapshot knows, in order (a replica on a broker the metadata does
    /// not list is left out). Shared arrays come resolved; treat the result as read-only.
    /// </summary>
    public Broker[] ResolveBrokers(int[] ids) =>
        ids.Length == 0 ? [] : _resolved.TryGetValue(ids, out var brokers) ? brokers : Resolve(ids, Brokers);

    private static Broker[] Resolve(int[] ids, IReadOnlyDictionary<int, Broker> brokers)
    {
        var count = 0;
        foreach (var id in ids)
        {
            if (brokers.ContainsKey(id))
            {
                count++;
            }
        }
        var result = new Broker[count];
        var i = 0;
        foreach (var id in ids)
        {
            if (brokers.TryGetValue(id, out var broker))
            {
                result[i++] = broker;
            }
        }
        return result;
    }
}
