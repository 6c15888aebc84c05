using Kafka.Client.Protocol;

namespace Kafka.Client.Internal;

/// <summary>
/// One consistent view of the cluster, as of one metadata response. Never changed after it is published;
/// a refresh builds a new snapshot and swaps it in, so readers never see half an update.
/// </summary>
internal sealed class ClusterSnapshot
{
    public static readonly ClusterSnapshot Empty = new(new Dictionary<int, Broker>(), new Dictionary<string, MetadataTopic>(StringComparer.Ordinal), -1, null);

    public ClusterSnapshot(IReadOnlyDictionary<int, Broker> brokers, IReadOnlyDictionary<string, MetadataTopic> topics, int controllerId, string? clusterId)
    {
        Brokers = brokers;
        Topics = topics;
        ControllerId = controllerId;
        ClusterId = clusterId;
    }

    public IReadOnlyDictionary<int, Broker> Brokers { get; }

    /// <summary>Every topic the metadata listed, internal ones included (filtering is the topic dictionary's job).</summary>
    public IReadOnlyDictionary<string, MetadataTopic> Topics { get; }

    public int ControllerId { get; }

    public string? ClusterId { get; }

    public Broker? Controller => Brokers.GetValueOrDefault(ControllerId);
}
