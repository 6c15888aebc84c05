using Kafka.Client;

namespace Kafka.Hosting;

/// <summary>
/// Handles the messages of a hosted consumer registered with <c>AddConsumer&lt;THandler, TKey, TValue&gt;</c>, with their
/// keys and values deserialized (see <see cref="HostedConsumerOptions{TKey, TValue}"/>). A handler is resolved in a new
/// dependency-injection scope for each message.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public interface IKafkaMessageHandler<TKey, TValue>
{
    /// <summary>
    /// Handles one message. Its offset counts as handled when this returns; an exception is retried by the consumer's
    /// handler pipeline and then dealt with by <see cref="HostedConsumerOptions.FailurePolicy"/>.
    /// </summary>
    /// <param name="message">The message, which owns its data.</param>
    /// <param name="cancellationToken">Cancelled when the host's shutdown timeout runs out, or when the partition is given up and <see cref="HostedConsumerOptions.DrainTimeout"/> has passed.</param>
    /// <returns>A task that completes when the message is handled.</returns>
    Task HandleAsync(ConsumedMessage<TKey, TValue> message, CancellationToken cancellationToken);
}
