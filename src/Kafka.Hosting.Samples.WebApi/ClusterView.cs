using Kafka.Client;

namespace Kafka.Hosting.Samples;

/// <summary>The JSON of <c>GET /cluster</c>: what the client knows of the cluster, no I/O.</summary>
public sealed record ClusterView(string? ClusterId, int? ControllerId, DateTimeOffset? LastRefresh, IReadOnlyList<BrokerView> Brokers, IReadOnlyList<TopicView> Topics)
{
    public static ClusterView From(KafkaClient client, KafkaClusterStatus status) => new(
        client.Cluster.ClusterId,
        client.Cluster.ControllerBroker?.Id,
        status.LastSuccessfulRefresh,
        [.. client.Brokers.Values.OrderBy(b => b.Id).Select(b => new BrokerView(b.Id, b.Host, b.Port, b.Rack, b.IsConnected))],
        [.. client.Topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => new TopicView(
            t.Name,
            [.. t.Partitions.Values.OrderBy(p => p.Id).Select(p => new PartitionView(p.Id, p.Leader?.Id, [.. p.Replicas.Select(r => r.Id)], [.. p.Isr.Select(r => r.Id)]))]))]);
}

public sealed record BrokerView(int Id, string Host, int Port, string? Rack, bool IsConnected);

public sealed record TopicView(string Name, IReadOnlyList<PartitionView> Partitions);

public sealed record PartitionView(int Id, int? Leader, IReadOnlyList<int> Replicas, IReadOnlyList<int> Isr);
