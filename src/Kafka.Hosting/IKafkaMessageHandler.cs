using Kafka.Client;

namespace Kafka.Hosting;

/// <summary>
/// Handles the messages of a hosted consumer registered with
/// <see cref="Microsoft.Extensions.DependencyInjection.KafkaConsumerBuilderExtensions.AddConsumer{THandler}(IKafkaClientBuilder, string, string, Action{HostedConsumerOptions}?)"/>.
/// A handler is resolved in a new dependency-injection scope for each message, so it may depend on scoped services.
/// </summary>
public interface IKafkaMessageHandler
{
    /// <summary>
    /// Handles one message. The message's offset is committed when this returns; an exception is retried by the
    /// consumer's handler pipeline and then dealt with by <see cref="HostedConsumerOptions.FailurePolicy"/>. The message's
    /// bytes are valid until this returns (call <see cref="ConsumedMessage.Detach"/> to keep them).
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancelled when the host's shutdown timeout runs out.</param>
    /// <returns>A task that completes when the message is handled.</returns>
    Task HandleAsync(ConsumedMessage message, CancellationToken cancellationToken);
}
