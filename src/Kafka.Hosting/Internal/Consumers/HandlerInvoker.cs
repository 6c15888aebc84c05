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
/// run through the handler pipeline. With the default pipeline (retries) the first attempt is a plain call, and Polly
/// runs only the retries once it failed: a handler that succeeds costs no pipeline. A pipeline of the application's
/// own (<see cref="HostedConsumerOptions.ConfigureHandlerPipeline"/>) wraps every call. Nothing is allocated per call
/// beyond the scope, the handler and what the handler's own signature needs.
/// </summary>
internal abstract class HandlerInvoker
{
    private readonly ResiliencePipeline? _pipeline; // the application's: every call
    private readonly ResiliencePipeline? _retries;  // the default's retries after the first one: failures only
    private readonly TimeSpan _firstRetryDelay;
    private readonly TimeProvider _time;

    protected HandlerInvoker(HostedConsumerOptions options, TimeProvider time)
    {
        _time = time;
        if (options.ConfigureHandlerPipeline is { } configure)
        {
            var builder = new ResiliencePipelineBuilder { TimeProvider = time };
            configure(builder);
            _pipeline = builder.Build();
        }
        else if (options.HandlerMaxRetryAttempts > 0)
        {
            _firstRetryDelay = options.HandlerRetryDelay;
            var builder = new ResiliencePipelineBuilder { TimeProvider = time };
            if (options.HandlerMaxRetryAttempts > 1)
            {
                // Retries 2 to n: exponential from twice the first delay, with jitter, as Polly's single strategy would.
                builder.AddRetry(new RetryStrategyOptions
                {
                    MaxRetryAttempts = options.HandlerMaxRetryAttempts - 1,
                    Delay = options.HandlerRetryDelay * 2,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                });
            }
            _retries = builder.Build();
        }
    }

    /// <summary>Handles one message (message and typed handlers).</summary>
    public virtual ValueTask<HandlerOutcome> HandleAsync(MessageView message, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This consumer handles batches.");

    /// <summary>Handles a batch of one partition (batch handlers).</summary>
    public virtual ValueTask<HandlerOutcome> HandleBatchAsync(MessageBatch batch, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This consumer handles one message at a time.");

    /// <summary>Runs <paramref name="call"/>, retried as configured, turning its last exception into an outcome.</summary>
    protected ValueTask<HandlerOutcome> RunAsync<TState>(Func<TState, CancellationToken, ValueTask> call, TState state, CancellationToken cancellationToken)
    {
        if (_pipeline is not null)
        {
            return ThroughPipelineAsync(_pipeline, call, state, cancellationToken);
        }
        ValueTask pending;
        try
        {
            pending = call(state, cancellationToken);
        }
        catch (Exception ex)
        {
            return RetryAsync(call, state, ex, cancellationToken);
        }
        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult(); // gives a pooled box back
            return new ValueTask<HandlerOutcome>(HandlerOutcome.Success);
        }
        return AwaitAsync(pending, call, state, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<HandlerOutcome> AwaitAsync<TState>(ValueTask pending, Func<TState, CancellationToken, ValueTask> call, TState state, CancellationToken cancellationToken)
    {
        try
        {
            await pending.ConfigureAwait(false);
            return HandlerOutcome.Success;
        }
        catch (Exception ex)
        {
            return await RetryAsync(call, state, ex, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The first attempt failed: the default pipeline's retries, after the first retry delay.</summary>
    private async ValueTask<HandlerOutcome> RetryAsync<TState>(Func<TState, CancellationToken, ValueTask> call, TState state, Exception first, CancellationToken cancellationToken)
    {
        if (_retries is null || first is OperationCanceledException)
        {
            return new HandlerOutcome(first);
        }
        try
        {
            var jitter = 0.75 + (Random.Shared.NextDouble() / 2); // ±25%
            await Task.Delay(_firstRetryDelay * jitter, _time, cancellationToken).ConfigureAwait(false);
            await _retries.ExecuteAsync(call, state, cancellationToken).ConfigureAwait(false);
            return HandlerOutcome.Success;
        }
        catch (Exception ex)
        {
            return new HandlerOutcome(ex);
        }
    }

    private static async ValueTask<HandlerOutcome> ThroughPipelineAsync<TState>(
        ResiliencePipeline pipeline, Func<TState, CancellationToken, ValueTask> call, TState state, CancellationToken cancellationToken)
    {
        try
        {
            await pipeline.ExecuteAsync(call, state, cancellationToken).ConfigureAwait(false);
            return HandlerOutcome.Success;
        }
        catch (Exception ex)
        {
            return new HandlerOutcome(ex);
        }
    }
}
