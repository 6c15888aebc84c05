namespace Kafka.Client.Admin;

/// <summary>One broker of <see cref="ClusterDescription"/>.</summary>
/// <param name="Id">The node id.</param>
/// <param name="Host">The advertised host.</param>
/// <param name="Port">The advertised port.</param>
/// <param name="Rack">The rack, or null.</param>
/// <param name="IsFenced">Whether the controller has fenced it (known only from DescribeCluster v2, Kafka 4.0+).</param>
public sealed record BrokerDescription(int Id, string Host, int Port, string? Rack, bool IsFenced);
