using System.Runtime.CompilerServices;
using Kafka.Client;
using Polly;
using Polly.Retry;

namespace Kafka.Hosting.Internal;

/// <summary>How a handler call ended: <see langword="null"/> <see cref="Failure"/> on success.</summary>
/// <param name="Failure">The last exception, after the pipeline's retries.</param>
/// <param name="Deserialization">Whether the key or value could not be deserialized (then the handler was not called or retried).</param>
internal readonly record struct HandlerOutcome(Exception? Failure, bool Deserialization = false)
{
    public static HandlerOutcome Success => default;
}

/// <summary>
/// Calls a registration's handler for a message or a batch: a DI scope per call, the handler resolved in it, the call
/// run through the handler pipeline (retries). Nothing is allocated per call beyond the scope, the handler and what
/// the handler's own signature needs.
/// </summary>
internal abstract class HandlerInvoker
{
    protected HandlerInvoker(ResiliencePipeline pipeline) => Pipeline = pipeline;

    protected ResiliencePipeline Pipeline { get; }

    /// <summary>Handles one message (message and typed handlers).</summary>
    public virtual ValueTask<HandlerOutcome> HandleAsync(MessageView message, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This consumer handles batches.");

    /// <summary>Handles a batch of one partition (batch handlers).</summary>
    public virtual ValueTask<HandlerOutcome> HandleBatchAsync(MessageBatch batch, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This consumer handles one message at a time.");

    /// <summary>The handler pipeline: <see cref="HostedConsumerOptions.ConfigureHandlerPipeline"/>, or the default retries.</summary>
    public static ResiliencePipeline BuildPipeline(HostedConsumerOptions options, TimeProvider time)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (options.ConfigureHandlerPipeline is { } configure)
        {
            configure(builder);
        }
        else if (options.HandlerMaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.HandlerMaxRetryAttempts,
                Delay = options.HandlerRetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
            });
        }
        return builder.Build();
    }

    /// <summary>Runs <paramref name="call"/> through the pipeline, turning its last exception into an outcome.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    protected async ValueTask<HandlerOutcome> RunAsync<TState>(Func<TState, CancellationToken, ValueTask> call, TState state, CancellationToken cancellationToken)
    {
        try
        {
            await Pipeline.ExecuteAsync(call, state, cancellationToken).ConfigureAwait(false);
            return HandlerOutcome.Success;
        }
        catch (Exception ex)
        {
            return new HandlerOutcome(ex);
        }
    }
}
