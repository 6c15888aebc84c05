namespace Kafka.Hosting;

/// <summary>
/// The default resilience pipeline of a client: exponential backoff with jitter around connection attempts and
/// idempotent request/response exchanges (metadata, offset lookups), plus a timeout per attempt. Bound from the
/// client's <c>Resilience</c> configuration section (<c>Kafka:Resilience</c> for the default client).
/// </summary>
public sealed class KafkaResilienceOptions
{
    /// <summary>The largest accepted <see cref="MaxRetryAttempts"/>.</summary>
    public const int MaxAllowedRetryAttempts = 100;

    /// <summary>
    /// How many times a failed attempt is retried; 0 turns retries off. pykafka retried connections to a broker
    /// three times (<c>Cluster._max_connection_retries</c>).
    /// </summary>
    /// <value>The default value is 3.</value>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>The delay before the first retry; it doubles with each further retry, with jitter.</summary>
    /// <value>The default value is 100 milliseconds, as the Java client's <c>retry.backoff.ms</c>.</value>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between two retries.</summary>
    /// <value>The default value is 1 second, as the Java client's <c>retry.backoff.max.ms</c>.</value>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one attempt (a connection attempt, or one request and its response) may take before it is
    /// abandoned and retried. The client's own <c>ConnectTimeout</c> and <c>SocketTimeout</c> still apply inside it.
    /// </summary>
    /// <value>The default value is 30 seconds, pykafka's <c>socket_timeout_ms</c>.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
