using Kafka.Client;

namespace Kafka.Hosting;

/// <summary>
/// Handles the messages of a hosted consumer registered with <c>AddBatchConsumer</c>, a batch at a time. A handler is
/// resolved in a new dependency-injection scope for each batch.
/// </summary>
public interface IKafkaBatchHandler
{
    /// <summary>
    /// Handles a batch: messages of one partition, in offset order, at most <see cref="HostedConsumerOptions.MaxBatchSize"/>.
    /// The batch is committed when this returns; an exception is retried (the whole batch) by the consumer's handler
    /// pipeline and then dealt with by <see cref="HostedConsumerOptions.FailurePolicy"/> for the whole batch. The
    /// messages' bytes are the fetched buffers, not copies, valid until this returns (<see cref="MessageView.Detach"/>
    /// copies one to keep).
    /// </summary>
    /// <param name="batch">The messages.</param>
    /// <param name="cancellationToken">Cancelled when the host's shutdown timeout runs out, or when the partition is given up and <see cref="HostedConsumerOptions.DrainTimeout"/> has passed.</param>
    /// <returns>A task that completes when the batch is handled.</returns>
    Task HandleAsync(MessageBatch batch, CancellationToken cancellationToken);
}
