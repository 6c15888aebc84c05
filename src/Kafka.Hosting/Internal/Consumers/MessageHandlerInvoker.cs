using System.Runtime.CompilerServices;
using Kafka.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kafka.Hosting.Internal;

/// <summary>Calls an <see cref="IKafkaMessageHandler"/> with a <see cref="ConsumedMessage"/> over the fetched bytes (no copy).</summary>
internal sealed class MessageHandlerInvoker<THandler>(IServiceScopeFactory scopes, HostedConsumerOptions options, TimeProvider time) : HandlerInvoker(options, time), IShareHandlerInvoker
    where THandler : class, IKafkaMessageHandler
{
    public override ValueTask<HandlerOutcome> HandleAsync(MessageView message, CancellationToken cancellationToken) =>
        RunAsync(static (state, token) => CallAsync(state.Scopes, state.Message, token), (Scopes: scopes, Message: message.ToConsumedMessage()), cancellationToken);

    /// <summary>Handles a message that owns its bytes (a share consumer's).</summary>
    public ValueTask<HandlerOutcome> HandleAsync(ConsumedMessage message, CancellationToken cancellationToken) =>
        RunAsync(static (state, token) => CallAsync(state.Scopes, state.Message, token), (Scopes: scopes, Message: message), cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask CallAsync(IServiceScopeFactory scopes, ConsumedMessage message, CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var handler = scope.ServiceProvider.GetRequiredService<THandler>();
            await handler.HandleAsync(message, cancellationToken).ConfigureAwait(false);
        }
    }
}
