using Kafka.Client;

namespace Kafka.Hosting;

/// <summary>
/// Settings of a hosted share-group consumer registered with <c>AddShareConsumer</c> (KIP-932 queues): those of every
/// hosted consumer (<see cref="HostedConsumerOptions"/>), plus the share consumer's (<see cref="Share"/>) and the
/// delivery limit. Bound from <c>Kafka:Consumers:{name}</c> like the others (<c>DeliveryAttemptLimit</c>, and
/// <c>Share:MaxPollRecords</c>, <c>Share:FetchWaitMax</c>...).
/// </summary>
/// <remarks>
/// <para>
/// Handlers run side by side up to <see cref="HostedConsumerOptions.MaxConcurrency"/>, in no order (a share group has
/// no partition order). A handler that succeeds accepts its record. One that still fails after the handler pipeline's
/// retries (<see cref="HostedConsumerOptions.HandlerMaxRetryAttempts"/>, <see cref="HostedConsumerOptions.HandlerRetryDelay"/>)
/// releases it, so the group delivers it again, to any member; once the record has been delivered
/// <see cref="DeliveryAttemptLimit"/> times, <see cref="HostedConsumerOptions.FailurePolicy"/> decides:
/// <see cref="HandlerFailurePolicy.SkipMessage"/> (the default here) rejects it, so it is never delivered again, and
/// <see cref="HandlerFailurePolicy.DeadLetter"/> produces it to <see cref="HostedConsumerOptions.DeadLetterTopic"/> and
/// then accepts it (or releases it if that produce failed). <see cref="HandlerFailurePolicy.StopPartition"/> does not
/// apply (there is no partition to stop) and fails validation.
/// </para>
/// <para>
/// Not used: <see cref="HostedConsumerOptions.Consumer"/>, <see cref="HostedConsumerOptions.Ordering"/>,
/// <see cref="HostedConsumerOptions.CommitInterval"/> (acknowledgements go with the next fetch),
/// <see cref="HostedConsumerOptions.MaxInFlightMessages"/>, <see cref="HostedConsumerOptions.MaxBatchSize"/> and
/// <see cref="HostedConsumerOptions.MaxBatchWait"/>.
/// <see cref="ShareConsumerOptions.AcknowledgementMode"/> is always explicit: the hosted consumer acknowledges each record.
/// </para>
/// </remarks>
public sealed class HostedShareConsumerOptions : HostedConsumerOptions
{
    /// <summary>Creates the defaults: a record that keeps failing is rejected once it reaches the delivery limit.</summary>
    public HostedShareConsumerOptions() => FailurePolicy = HandlerFailurePolicy.SkipMessage;

    /// <summary>The share consumer's settings (fetch sizes and waits, rack, retry backoff).</summary>
    public ShareConsumerOptions Share { get; set; } = new();

    /// <summary>
    /// How many deliveries a record gets before a failure is final (rejected, or dead-lettered): below it a failed record
    /// is released for another try. Keep it at or below the brokers' <c>group.share.delivery.count.limit</c> (5 by default),
    /// beyond which the broker archives the record by itself.
    /// </summary>
    /// <value>The default value is 5.</value>
    public int DeliveryAttemptLimit { get; set; } = 5;
}
