namespace Kafka.Client.Admin;

/// <summary>The cluster as <see cref="KafkaAdmin.DescribeClusterAsync"/> reports it.</summary>
/// <param name="ClusterId">The cluster id (null from brokers before 0.10.1).</param>
/// <param name="ControllerId">The controller's broker id, or -1 when unknown.</param>
/// <param name="Brokers">The brokers, by id.</param>
public sealed record ClusterDescription(string? ClusterId, int ControllerId, IReadOnlyList<BrokerDescription> Brokers);
