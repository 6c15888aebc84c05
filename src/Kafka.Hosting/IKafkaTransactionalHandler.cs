using Kafka.Client;

namespace Kafka.Hosting;

/// <summary>
/// Handles the messages of a hosted consumer registered with <c>AddTransactionalConsumer</c> (consume, transform,
/// produce, exactly once), a batch of one partition at a time, producing its output through the transaction it is
/// given. A handler is resolved in a new dependency-injection scope for each batch.
/// </summary>
public interface IKafkaTransactionalHandler
{
    /// <summary>
    /// Handles one partition's messages of the current transaction, in offset order. Output produced through
    /// <paramref name="transaction"/> and the batch's input offsets commit together, once the handlers of every
    /// partition of the transaction have returned. When this throws, the transaction is aborted (nothing it produced
    /// becomes visible to readers that read committed) and the messages are handled again, from the last committed
    /// offsets. The messages' bytes are the fetched buffers, valid until this returns (<see cref="MessageView.Detach"/>
    /// copies one to keep). Side effects outside Kafka are not part of the transaction.
    /// </summary>
    /// <param name="batch">The messages of one partition.</param>
    /// <param name="transaction">The open transaction to produce the output through.</param>
    /// <param name="cancellationToken">Cancelled when the host's shutdown timeout runs out.</param>
    /// <returns>A task that completes when the batch is handled.</returns>
    Task HandleAsync(MessageBatch batch, IKafkaTransaction transaction, CancellationToken cancellationToken);
}
