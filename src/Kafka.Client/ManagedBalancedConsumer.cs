namespace Kafka.Client;

/// <summary>
/// A member of a Kafka consumer group whose partitions Kafka's group coordinator balances (pykafka's
/// <c>ManagedBalancedConsumer</c>, from <see cref="Topic.GetBalancedConsumer(string, BalancedConsumerOptions?)"/>
/// with <see cref="BalancedConsumerOptions.Managed"/> on, the default). Members of this client and Java or
/// librdkafka consumers with the same assignor share one group.
/// </summary>
/// <remarks>
/// <para>
/// Each rebalance starts a new generation. Commits name the current generation and carry only partitions this member
/// owns in it; a commit the coordinator refuses because the group moved on (REBALANCE_IN_PROGRESS,
/// ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID) makes the member rejoin. Disposing stops fetching,
/// commits, and leaves the group (a static member stays, to come back).
/// </para>
/// <para>The rest is as for every <see cref="BalancedConsumer"/>.</para>
/// </remarks>
public sealed class ManagedBalancedConsumer : BalancedConsumer
{
    internal ManagedBalancedConsumer(Cluster cluster, IReadOnlyList<string> topics, string consumerGroup, BalancedConsumerOptions? options)
        : base(cluster, topics, consumerGroup, options)
    {
    }

    /// <summary>The current generation id; -1 while the group rebalances or before the first join.</summary>
    public int Generation => CurrentGeneration?.GenerationId ?? -1;

    /// <inheritdoc/>
    public override string ToString() => $"ManagedBalancedConsumer({string.Join(", ", Topics)}, group {ConsumerGroup}, generation {Generation})";
}
