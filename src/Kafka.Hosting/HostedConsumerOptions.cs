using Kafka.Client;
using Polly;

namespace Kafka.Hosting;

/// <summary>
/// Settings of one hosted consumer registered with <c>AddConsumer</c> or <c>AddBatchConsumer</c>. A consumer registered
/// by name is bound from the configuration section <c>Kafka:Consumers:{name}</c> (see
/// <see cref="GetConfigurationSection"/>); code passed to the registration runs after binding and wins.
/// </summary>
public class HostedConsumerOptions
{
    /// <summary>The section, under a client's section, that holds one subsection per named hosted consumer.</summary>
    public const string ConsumersConfigurationSection = "Consumers";

    /// <summary>The default of <see cref="MaxConcurrency"/>.</summary>
    public const int DefaultMaxConcurrency = 16;

    /// <summary>The default of <see cref="MaxInFlightMessages"/>.</summary>
    public const int DefaultMaxInFlightMessages = 10_000;

    /// <summary>The default of <see cref="MaxBatchSize"/>.</summary>
    public const int DefaultMaxBatchSize = 500;

    /// <summary>
    /// The consumer group to join. Set by the registration when it names the group; required for a consumer
    /// registered by name (configuration key <c>Group</c>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Group { get; set; }

    /// <summary>
    /// The topics to consume. Set by the registration when it names them; required for a consumer registered by name
    /// (configuration key <c>Topics</c>: a list, or one comma-separated value).
    /// </summary>
    /// <value>The default value is an empty list.</value>
    public IList<string> Topics { get; set; } = [];

    /// <summary>
    /// The settings of the consumer group member (session and heartbeat timings, assignor, fetch sizes, start
    /// offsets). Its <see cref="BalancedConsumerOptions.ConsumerGroup"/> is <see cref="Group"/>. The hosted consumer
    /// manages commits and the consume loop itself, so it sets <see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/>
    /// and <see cref="ConsumerOptions.AutoCommitEnable"/> off and its own <see cref="ConsumerOptions.ConsumerTimeout"/>
    /// (see <see cref="CommitInterval"/>); partition callbacks set here run after its own.
    /// </summary>
    public BalancedConsumerOptions Consumer { get; set; } = new();

    /// <summary>
    /// How many messages (for a batch consumer, batches) are handled at once, across all partitions: each partition
    /// has its own ordered lane, and up to this many lanes run side by side. <c>1</c> handles one message at a time.
    /// </summary>
    /// <value>The default value is 16 (<see cref="DefaultMaxConcurrency"/>); allowed 1 to 1024.</value>
    public int MaxConcurrency { get; set; } = DefaultMaxConcurrency;

    /// <summary>
    /// Which messages are kept in order when they are handled side by side (message handlers only; a batch consumer
    /// handles each partition's batches one after another).
    /// </summary>
    /// <value>The default value is <see cref="MessageOrdering.Partition"/>.</value>
    public MessageOrdering Ordering { get; set; } = MessageOrdering.Partition;

    /// <summary>
    /// The most messages fetched and not yet handled, across all partitions. Past it the consumer stops taking
    /// messages, and a partition whose lane holds more than its share (this divided by the partitions owned) is
    /// paused until its lane has worked through half of it, so a slow partition does not hold back the others.
    /// Memory stays bounded whatever the handler's speed.
    /// </summary>
    /// <value>The default value is 10,000 (<see cref="DefaultMaxInFlightMessages"/>); allowed 1 to 1,000,000.</value>
    public int MaxInFlightMessages { get; set; } = DefaultMaxInFlightMessages;

    /// <summary>
    /// How often the offsets of handled messages are committed: per partition, the offset below which every message
    /// is handled, committed in the background (a failed commit is retried at the next interval). Also committed
    /// before a partition is given up and when the consumer stops.
    /// </summary>
    /// <value>The default value is 1 second; allowed 10 milliseconds to 10 minutes.</value>
    public TimeSpan CommitInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long, when partitions are revoked in a rebalance (or lost), handlers still running for them may finish
    /// before they are given up anyway: then their cancellation token is cancelled and their messages stay
    /// uncommitted (handled again by the partition's next owner). Keep it below <see cref="BalancedConsumerOptions.RebalanceTimeout"/>.
    /// </summary>
    /// <value>The default value is 30 seconds; allowed 1 millisecond to 1 hour.</value>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>For a batch consumer, the most messages in one batch.</summary>
    /// <value>The default value is 500 (<see cref="DefaultMaxBatchSize"/>); allowed 1 to 100,000.</value>
    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>
    /// For a batch consumer, how long a partition's first message waits for more to fill its batch up to
    /// <see cref="MaxBatchSize"/>; <see cref="TimeSpan.Zero"/> hands over whatever has arrived.
    /// </summary>
    /// <value>The default value is 100 milliseconds; allowed 0 to 10 minutes.</value>
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How many times a failing handler is tried again (by the default handler pipeline) before <see cref="FailurePolicy"/> applies.</summary>
    /// <value>The default value is 3; allowed 0 to 100.</value>
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

    /// <summary>What to do with a message (or batch) whose handler keeps failing, or whose key or value cannot be deserialized.</summary>
    /// <value>The default value is <see cref="HandlerFailurePolicy.StopPartition"/>.</value>
    public HandlerFailurePolicy FailurePolicy { get; set; } = HandlerFailurePolicy.StopPartition;

    /// <summary>
    /// The topic a message whose handler keeps failing is forwarded to when <see cref="FailurePolicy"/> is
    /// <see cref="HandlerFailurePolicy.DeadLetter"/>; required then (no name is assumed), and it must differ from the
    /// consumed topics. It is produced to with the hosted consumer's client, waiting for all in-sync replicas.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? DeadLetterTopic { get; set; }

    /// <summary>The pause before the consumer is created again after its group membership failed for good (fenced, not authorized).</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Problems met while binding configuration (a value of the wrong type, an unknown key), reported when the host starts.</summary>
    internal List<string> ConfigurationErrors { get; } = [];

    /// <summary>The configuration section a hosted consumer named <paramref name="consumerName"/> of a client is bound from.</summary>
    /// <param name="clientName">The client's name; empty for the default client.</param>
    /// <param name="consumerName">The consumer's name, as given to <c>AddConsumer</c>.</param>
    /// <returns><c>Kafka:Consumers:{consumerName}</c> for the default client, <c>Kafka:Clients:{clientName}:Consumers:{consumerName}</c> otherwise.</returns>
    public static string GetConfigurationSection(string clientName, string consumerName)
    {
        ArgumentNullException.ThrowIfNull(clientName);
        ArgumentException.ThrowIfNullOrWhiteSpace(consumerName);
        return $"{KafkaHostingOptions.GetConfigurationSection(clientName)}:{ConsumersConfigurationSection}:{consumerName}";
    }
}
