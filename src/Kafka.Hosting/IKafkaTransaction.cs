using Kafka.Client;

namespace Kafka.Hosting;

/// <summary>
/// The open Kafka transaction a transactional handler (<see cref="IKafkaTransactionalHandler"/>) produces its output
/// through. What it produces commits together with the input offsets of the batch, or not at all: the hosted
/// consumer commits the transaction once every handler of the batch has returned, and aborts it when one throws.
/// </summary>
public interface IKafkaTransaction
{
    /// <summary>The transactional id of the producer behind the transaction.</summary>
    string TransactionalId { get; }

    /// <summary>
    /// Produces a message to <paramref name="topic"/> in the transaction and returns when it is written (which does not
    /// make it visible: readers that read committed see it once the transaction commits). The bytes are copied before
    /// the method returns. A failure makes the transaction abort, and the batch is handled again.
    /// </summary>
    /// <param name="topic">The topic; any topic, not only the consumed ones.</param>
    /// <param name="value">The value; <see langword="null"/> for a tombstone.</param>
    /// <param name="key">The key, which also chooses the partition; <see langword="null"/> for none.</param>
    /// <param name="timestamp">The record's create time; now when <see langword="null"/>.</param>
    /// <param name="headers">Record headers.</param>
    /// <param name="cancellationToken">Stops waiting for the outcome.</param>
    /// <returns>The partition, offset and timestamp the message got.</returns>
    ValueTask<DeliveryReport> ProduceAsync(string topic, ReadOnlyMemory<byte>? value, ReadOnlyMemory<byte>? key = null,
        DateTimeOffset? timestamp = null, ReadOnlySpan<KafkaHeader> headers = default, CancellationToken cancellationToken = default);

    /// <summary>
    /// Queues a message to <paramref name="topic"/> in the transaction and returns at once; the commit waits for it, and
    /// a failure makes the transaction abort (the batch is then handled again), so no message is lost silently.
    /// </summary>
    /// <param name="topic">The topic; any topic, not only the consumed ones.</param>
    /// <param name="value">The value; <see langword="null"/> for a tombstone.</param>
    /// <param name="key">The key, which also chooses the partition; <see langword="null"/> for none.</param>
    /// <param name="timestamp">The record's create time; now when <see langword="null"/>.</param>
    /// <param name="headers">Record headers.</param>
    void Produce(string topic, ReadOnlyMemory<byte>? value, ReadOnlyMemory<byte>? key = null, DateTimeOffset? timestamp = null,
        ReadOnlySpan<KafkaHeader> headers = default);
}
