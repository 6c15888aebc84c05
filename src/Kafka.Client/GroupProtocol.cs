namespace Kafka.Client;

/// <summary>Which of Kafka's protocols a <see cref="BalancedConsumer"/> takes part in its group with.</summary>
public enum GroupProtocol
{
    /// <summary>
    /// The classic group protocol (JoinGroup, SyncGroup, Heartbeat): a member leads, computes everyone's assignment with
    /// <see cref="BalancedConsumerOptions.MembershipProtocol"/>, and every member gives up its partitions at each
    /// rebalance. Every Kafka broker from 0.9 speaks it.
    /// </summary>
    Classic,

    /// <summary>
    /// The consumer group protocol (KIP-848, Kafka 4.0): the coordinator assigns with a server-side assignor
    /// (<see cref="BalancedConsumerOptions.ServerAssignor"/>), members only heartbeat (ConsumerGroupHeartbeat), and
    /// rebalances are incremental: a member gives up only the partitions that move and keeps consuming the others.
    /// </summary>
    Consumer,
}
