using Kafka.Client;
using Polly;

namespace Kafka.Hosting;

/// <summary>Settings of one hosted consumer registered with <c>AddConsumer</c>.</summary>
public sealed class HostedConsumerOptions
{
    /// <summary>
    /// The settings of the consumer group member (session and heartbeat timings, assignor, fetch sizes, start
    /// offsets). Its <see cref="SimpleConsumerOptions.ConsumerGroup"/> is the registration's group.
    /// </summary>
    public BalancedConsumerOptions Consumer { get; set; } = new();

    /// <summary>How many times a failing handler is tried again (by the default handler pipeline) before <see cref="FailurePolicy"/> applies.</summary>
    /// <value>The default value is 3.</value>
    public int HandlerMaxRetryAttempts { get; set; } = 3;

    /// <summary>The delay before the first retry of a failing handler; it doubles with each retry (with jitter).</summary>
    /// <value>The default value is 200 milliseconds.</value>
    public TimeSpan HandlerRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Builds the pipeline every handler call runs in, instead of the default retries
    /// (<see cref="HandlerMaxRetryAttempts"/>, <see cref="HandlerRetryDelay"/>); <see langword="null"/> for the default.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public Action<ResiliencePipelineBuilder>? ConfigureHandlerPipeline { get; set; }

    /// <summary>What to do with a message whose handler keeps failing.</summary>
    /// <value>The default value is <see cref="HandlerFailurePolicy.StopPartition"/>.</value>
    public HandlerFailurePolicy FailurePolicy { get; set; } = HandlerFailurePolicy.StopPartition;

    /// <summary>
    /// The topic a message whose handler keeps failing is forwarded to when <see cref="FailurePolicy"/> is
    /// <see cref="HandlerFailurePolicy.DeadLetter"/>; required then (no name is assumed), and it must differ from the
    /// consumed topic. It is produced to with the hosted consumer's client, waiting for all in-sync replicas.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? DeadLetterTopic { get; set; }

    /// <summary>The pause before the consumer is created again after its group membership failed for good (fenced, not authorized).</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(5);
}
