namespace Kafka.Client.Protocol;

/// <summary>A broker's answer to <see cref="MetadataRequest"/>.</summary>
internal sealed class MetadataResponse
{
    /// <summary>How long the broker throttled the request for a quota violation (v3+; 0 before).</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The brokers of the cluster (those the answering broker knows to be alive).</summary>
    public IReadOnlyList<MetadataBroker> Brokers { get; init; } = [];

    /// <summary>The cluster id (v2+); <see langword="null"/> before v2 or when the cluster has none.</summary>
    public string? ClusterId { get; init; }

    /// <summary>The node id of the controller (v1+); -1 when unknown, and always -1 before v1.</summary>
    public int ControllerId { get; init; } = -1;

    /// <summary>The topics asked for (or all of them), each with its own error code.</summary>
    public IReadOnlyList<MetadataTopic> Topics { get; init; } = [];

    /// <summary>
    /// The node-id arrays that partitions of this response share (replica, ISR and offline lists with the same
    /// brokers are one array), so that what is derived from a list is derived once per distinct list.
    /// </summary>
    public IReadOnlyList<int[]> SharedNodeIds { get; init; } = [];
}

/// <summary>A broker as Metadata describes it.</summary>
/// <param name="NodeId">The broker id.</param>
/// <param name="Host">The host name clients connect to.</param>
/// <param name="Port">The port clients connect to.</param>
/// <param name="Rack">The broker's rack (v1+), or <see langword="null"/>.</param>
internal sealed record MetadataBroker(int NodeId, string Host, int Port, string? Rack);

/// <summary>A topic as Metadata describes it.</summary>
/// <param name="ErrorCode">The topic's error (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE while it is created...).</param>
/// <param name="Name">The topic name; only v12+ answers may leave it null (for topics asked for by id).</param>
/// <param name="TopicId">The topic id (v10+); <see cref="Guid.Empty"/> before v10 or when unknown.</param>
/// <param name="IsInternal">Whether the topic is internal, such as <c>__consumer_offsets</c> (v1+; false before).</param>
/// <param name="Partitions">The topic's partitions.</param>
internal sealed record MetadataTopic(KafkaErrorCode ErrorCode, string? Name, Guid TopicId, bool IsInternal, IReadOnlyList<MetadataPartition> Partitions);

/// <summary>
/// A partition as Metadata describes it: a struct, stored inline in its topic's array, since a large cluster lists
/// hundreds of thousands. Replica lists with the same brokers are one shared array (see
/// <see cref="MetadataRequest"/>), so treat the arrays as read-only.
/// </summary>
/// <param name="ErrorCode">The partition's error (LEADER_NOT_AVAILABLE, REPLICA_NOT_AVAILABLE...).</param>
/// <param name="PartitionIndex">The partition number.</param>
/// <param name="LeaderId">The node id of the leader, or -1 when there is none.</param>
/// <param name="LeaderEpoch">The leader epoch (v7+); -1 before v7.</param>
/// <param name="ReplicaNodes">The node ids of all replicas.</param>
/// <param name="IsrNodes">The node ids of the in-sync replicas.</param>
/// <param name="OfflineReplicas">The node ids of offline replicas (v5+); empty before v5.</param>
internal readonly record struct MetadataPartition(
    KafkaErrorCode ErrorCode,
    int PartitionIndex,
    int LeaderId,
    int LeaderEpoch,
    int[] ReplicaNodes,
    int[] IsrNodes,
    int[] OfflineReplicas);
