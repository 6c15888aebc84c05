using Kafka.Client;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Kafka.Hosting;

/// <summary>
/// The resilience pipeline each registered client wraps its socket operations in: its key in Polly's registry
/// (<c>ResiliencePipelineProvider&lt;string&gt;</c>), what it retries, and its default strategies.
/// </summary>
public static class KafkaClientResilience
{
    /// <summary>The pipeline key of the default client.</summary>
    public const string DefaultPipelineKey = "Kafka.Hosting.KafkaClient";

    /// <summary>The pipeline key of the client named <paramref name="clientName"/>.</summary>
    /// <param name="clientName">The client's name; empty for the default client.</param>
    /// <returns><see cref="DefaultPipelineKey"/>, or <c>Kafka.Hosting.KafkaClient:{name}</c> for a named client.</returns>
    public static string GetPipelineKey(string clientName)
    {
        ArgumentNullException.ThrowIfNull(clientName);
        return clientName.Length == 0 ? DefaultPipelineKey : $"{DefaultPipelineKey}:{clientName}";
    }

    /// <summary>
    /// Whether trying again may help: a retriable <see cref="KafkaException"/> (a lost connection, a timeout, a
    /// retriable broker error) or an attempt that ran out of time. Use it as the <c>ShouldHandle</c> of your own retries.
    /// </summary>
    /// <param name="exception">The failure, or <see langword="null"/> for none.</param>
    /// <returns><see langword="true"/> when the operation may succeed if tried again.</returns>
    public static bool IsTransient(Exception? exception) =>
        exception is KafkaException { IsRetriable: true } or TimeoutRejectedException;

    /// <summary>
    /// Adds the default strategies: a retry of transient failures (<see cref="IsTransient"/>) with exponential backoff
    /// and jitter, unless <see cref="KafkaResilienceOptions.MaxRetryAttempts"/> is 0, then a timeout per attempt.
    /// Call it from <c>ConfigureResilience</c> to keep the defaults and add your own strategies around or after them.
    /// </summary>
    /// <param name="builder">The pipeline being built.</param>
    /// <param name="options">The retry and timeout settings.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static ResiliencePipelineBuilder AddKafkaDefaults(this ResiliencePipelineBuilder builder, KafkaResilienceOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxRetryAttempts > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                Name = "KafkaRetry",
                ShouldHandle = static args => new ValueTask<bool>(IsTransient(args.Outcome.Exception)),
                MaxRetryAttempts = options.MaxRetryAttempts,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            });
        }
        return builder.AddTimeout(new TimeoutStrategyOptions { Name = "KafkaAttemptTimeout", Timeout = options.AttemptTimeout });
    }
}
