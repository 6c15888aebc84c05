using System.Runtime.CompilerServices;
using Kafka.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kafka.Hosting.Internal;

/// <summary>Calls an <see cref="IKafkaBatchHandler"/> with a batch of one partition, one DI scope per batch.</summary>
internal sealed class BatchHandlerInvoker<THandler>(IServiceScopeFactory scopes, HostedConsumerOptions options, TimeProvider time) : HandlerInvoker(options, time)
    where THandler : class, IKafkaBatchHandler
{
    public override ValueTask<HandlerOutcome> HandleBatchAsync(MessageBatch batch, CancellationToken cancellationToken) =>
        RunAsync(static (state, token) => CallAsync(state.Scopes, state.Batch, token), (Scopes: scopes, Batch: batch), cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask CallAsync(IServiceScopeFactory scopes, MessageBatch batch, CancellationToken cancellationToken)
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var handler = scope.ServiceProvider.GetRequiredService<THandler>();
            await handler.HandleAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }
}
