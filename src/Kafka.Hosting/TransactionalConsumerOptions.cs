using Kafka.Client;

namespace Kafka.Hosting;

/// <summary>
/// Settings of a hosted exactly-once consumer registered with <c>AddTransactionalConsumer</c>: those of every hosted
/// consumer (<see cref="HostedConsumerOptions"/>), plus the transactional producer's. Bound from
/// <c>Kafka:Consumers:{name}</c> like the others (<c>TransactionalId</c>, <c>TransactionTimeout</c>).
/// </summary>
/// <remarks>
/// Of the inherited settings, <see cref="HostedConsumerOptions.MaxBatchSize"/> bounds the messages of one transaction
/// (all partitions together), <see cref="HostedConsumerOptions.MaxConcurrency"/> how many partitions' handlers run at
/// once inside it, and <see cref="HostedConsumerOptions.HandlerMaxRetryAttempts"/> and
/// <see cref="HostedConsumerOptions.HandlerRetryDelay"/> how often a failing batch is aborted and handled again before
/// its partition is stopped. <see cref="HostedConsumerOptions.Ordering"/> must stay <see cref="MessageOrdering.Partition"/>,
/// <see cref="HostedConsumerOptions.FailurePolicy"/> <see cref="HandlerFailurePolicy.StopPartition"/>, and
/// <see cref="HostedConsumerOptions.CommitInterval"/>, <see cref="HostedConsumerOptions.MaxInFlightMessages"/> and
/// <see cref="HostedConsumerOptions.MaxBatchWait"/> are not used: every transaction commits as soon as its handlers return.
/// </remarks>
public sealed class TransactionalConsumerOptions : HostedConsumerOptions
{
    /// <summary>
    /// Creates the defaults; the group member reads with <see cref="KafkaIsolationLevel.ReadCommitted"/>, so that input
    /// written by other transactions is handled only once it commits.
    /// </summary>
    public TransactionalConsumerOptions() => Consumer.IsolationLevel = KafkaIsolationLevel.ReadCommitted;

    /// <summary>
    /// The transactional id of the consumer's producer: required, stable across restarts, and unique to this consumer
    /// instance (for example the service name and a replica ordinal), so that a restarted instance fences its
    /// predecessor. Two live instances with one id fence each other in turn.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? TransactionalId { get; set; }

    /// <summary>
    /// The transactional producer's settings (<see cref="ProducerOptions.TransactionTimeout"/>, delivery timeouts,
    /// compression). Its <see cref="ProducerOptions.TransactionalId"/> is <see cref="TransactionalId"/>; it is idempotent
    /// and waits for all in-sync replicas.
    /// </summary>
    public ProducerOptions Producer { get; set; } = new();
}
