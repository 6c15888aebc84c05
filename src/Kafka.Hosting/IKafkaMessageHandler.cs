using Kafka.Client;

namespace Kafka.Hosting;

/// <summary>
/// Handles the messages of a hosted consumer registered with
/// <see cref="Microsoft.Extensions.DependencyInjection.KafkaConsumerBuilderExtensions.AddConsumer{THandler}(IKafkaClientBuilder, string, string, Action{HostedConsumerOptions}?)"/>.
/// A handler is resolved in a new dependency-injection scope for each message, so it may depend on scoped services.
/// Messages of different partitions are handled side by side (<see cref="HostedConsumerOptions.MaxConcurrency"/>),
/// those of one partition in order (<see cref="HostedConsumerOptions.Ordering"/>).
/// </summary>
public interface IKafkaMessageHandler
{
    /// <summary>
    /// Handles one message. The message counts as handled when this returns, and its offset is committed within
    /// <see cref="HostedConsumerOptions.CommitInterval"/> once every earlier message of its partition is handled too; an
    /// exception is retried by the consumer's handler pipeline and then dealt with by
    /// <see cref="HostedConsumerOptions.FailurePolicy"/>. The message's bytes are valid until this returns (call
    /// <see cref="ConsumedMessage.Detach"/> to keep them).
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancelled when the host's shutdown timeout runs out, or when the partition is given up and <see cref="HostedConsumerOptions.DrainTimeout"/> has passed.</param>
    /// <returns>A task that completes when the message is handled.</returns>
    Task HandleAsync(ConsumedMessage message, CancellationToken cancellationToken);
}
