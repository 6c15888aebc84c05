namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="DescribeClusterRequest"/>.</summary>
internal sealed record DescribeClusterResponse(
    int ThrottleTimeMs, KafkaErrorCode ErrorCode, string? ErrorMessage, string ClusterId, int ControllerId,
    IReadOnlyList<DescribeClusterBroker> Brokers, int ClusterAuthorizedOperations);

/// <summary>
/// One broker of the cluster.
/// IsFenced: Whether the controller has fenced the broker (v2+, when fenced brokers were asked for).
/// </summary>
internal sealed record DescribeClusterBroker(int BrokerId, string Host, int Port, string? Rack, bool IsFenced);
