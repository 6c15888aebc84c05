using Kafka.Client.Internal;
using Kafka.Client.Protocol;

namespace Kafka.Client;

/// <summary>
/// A partition of a topic: its leader, replicas and in-sync replicas as of the latest metadata refresh. The object
/// lives as long as its <see cref="Topic"/>; refreshes update it in place.
/// </summary>
public sealed class Partition
{
    private volatile PartitionState _state;

    internal Partition(Topic topic, int id, PartitionState state)
    {
        Topic = topic;
        Id = id;
        _state = state;
    }

    /// <summary>The partition id.</summary>
    public int Id { get; }

    /// <summary>The topic this partition belongs to.</summary>
    public Topic Topic { get; }

    /// <summary>The broker that leads this partition, or <see langword="null"/> while it has no leader.</summary>
    public Broker? Leader => _state.Leader;

    /// <summary>The leader epoch (-1 from brokers too old to report it).</summary>
    public int LeaderEpoch => _state.LeaderEpoch;

    /// <summary>
    /// The brokers that hold a replica, leader first as the metadata lists them. A replica on a broker that is
    /// not in the cluster metadata (down) is left out; its id is in <see cref="OfflineReplicaIds"/> when the
    /// broker reports it.
    /// </summary>
    public IReadOnlyList<Broker> Replicas => _state.Replicas;

    /// <summary>The brokers whose replica is in sync with the leader.</summary>
    public IReadOnlyList<Broker> Isr => _state.Isr;

    /// <summary>Ids of replicas the broker reports offline (Metadata v5 and later).</summary>
    public IReadOnlyList<int> OfflineReplicaIds => _state.OfflineReplicas;

    internal PartitionState State
    {
        get => _state;
        set => _state = value;
    }

    /// <summary>The offset the next message produced to this partition will get (the high watermark).</summary>
    public Task<long> LatestAvailableOffsetAsync(CancellationToken cancellationToken = default) =>
        FetchOffsetLimitAsync((long)OffsetType.Latest, cancellationToken);

    /// <summary>The first offset still held by this partition (the log start offset).</summary>
    public Task<long> EarliestAvailableOffsetAsync(CancellationToken cancellationToken = default) =>
        FetchOffsetLimitAsync((long)OffsetType.Earliest, cancellationToken);

    /// <summary>
    /// The earliest offset whose message timestamp is at or after <paramref name="timestamp"/>, or -1 when there is
    /// none (every message is older).
    /// </summary>
    public Task<long> FetchOffsetLimitAsync(DateTimeOffset timestamp, CancellationToken cancellationToken = default) =>
        FetchOffsetLimitAsync(timestamp.ToUnixTimeMilliseconds(), cancellationToken);

    /// <summary>The offset for <paramref name="offsetType"/> (earliest or latest).</summary>
    public Task<long> FetchOffsetLimitAsync(OffsetType offsetType, CancellationToken cancellationToken = default) =>
        FetchOffsetLimitAsync((long)offsetType, cancellationToken);

    private async Task<long> FetchOffsetLimitAsync(long timestamp, CancellationToken cancellationToken)
    {
        var result = await Topic.Cluster.Offsets.ListAsync(Topic, [Id], timestamp, cancellationToken).ConfigureAwait(false);
        return result[Id];
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Topic.Name}/{Id}";
}

/// <summary>One partition's metadata, swapped as a whole so readers see leader and replicas from one refresh.</summary>
internal sealed record PartitionState(Broker? Leader, int LeaderEpoch, Broker[] Replicas, Broker[] Isr, int[] OfflineReplicas)
{
    public static PartitionState From(MetadataPartition metadata, ClusterSnapshot snapshot) =>
        new(snapshot.Brokers.GetValueOrDefault(metadata.LeaderId), metadata.LeaderEpoch,
            snapshot.ResolveBrokers(metadata.ReplicaNodes), snapshot.ResolveBrokers(metadata.IsrNodes), metadata.OfflineReplicas);

    /// <summary>The state <paramref name="metadata"/> describes: this one when nothing changed, so a steady refresh allocates nothing.</summary>
    public PartitionState Next(MetadataPartition metadata, ClusterSnapshot snapshot)
    {
        var leader = snapshot.Brokers.GetValueOrDefault(metadata.LeaderId);
        var replicas = snapshot.ResolveBrokers(metadata.ReplicaNodes);
        var isr = snapshot.ResolveBrokers(metadata.IsrNodes);
        return ReferenceEquals(leader, Leader) && metadata.LeaderEpoch == LeaderEpoch && SameBrokers(replicas, Replicas)
               && SameBrokers(isr, Isr) && metadata.OfflineReplicas.AsSpan().SequenceEqual(OfflineReplicas)
            ? this
            : new PartitionState(leader, metadata.LeaderEpoch, replicas, isr, metadata.OfflineReplicas);
    }

    private static bool SameBrokers(Broker[] a, Broker[] b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }
        if (a.Length != b.Length)
        {
            return false;
        }
        for (var i = 0; i < a.Length; i++)
        {
            if (!ReferenceEquals(a[i], b[i]))
            {
                return false;
            }
        }
        return true;
    }
}