using System.Runtime.CompilerServices;
using Kafka.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kafka.Hosting.Internal;

/// <summary>
/// Deserializes a message's key and value and calls an <see cref="IKafkaMessageHandler{TKey, TValue}"/>. A message that
/// does not deserialize is not retried: its outcome says so and goes to the failure policy.
/// </summary>
internal sealed class TypedMessageHandlerInvoker<THandler, TKey, TValue>(
    IServiceScopeFactory scopes, HostedConsumerOptions options, TimeProvider time, IDeserializer<TKey> keys, IDeserializer<TValue> values) : HandlerInvoker(options, time)
    where THandler : class, IKafkaMessageHandler<TKey, TValue>
{
    public override ValueTask<HandlerOutcome> HandleAsync(MessageView message, CancellationToken cancellationToken)
    {
        ConsumedMessage<TKey, TValue> typed;
        try
        {
            typed = message.ToConsumedMessage().Deserialize(keys, values);
        }
        catch (Exception ex) when (ex is not ObjectDisposedException)
        {
            return new ValueTask<HandlerOutcome>(new HandlerOutcome(ex, Deserialization: true));
        }
        return RunAsync(static (state, token) => CallAsync(state.Scopes, state.Message, token), (Scopes: scopes, Message: typed), cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask CallAsync(IServiceScopeFactory scopes, ConsumedMessage<TKey, TValue> message, CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var handler = scope.ServiceProvider.GetRequiredService<THandler>();
            await handler.HandleAsync(message, cancellationToken).ConfigureAwait(false);
        }
    }
}
