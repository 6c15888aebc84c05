namespace Kafka.Client;

/// <summary>
/// What every consumer is configured with: how it fetches, how it commits automatically, where it starts without a
/// committed offset and how long a consume call waits. <see cref="SimpleConsumerOptions"/> adds the partitions and the
/// group of a consumer without group membership; <see cref="BalancedConsumerOptions"/> adds a group member's settings.
/// Each pykafka consumer parameter has a property with the same meaning and default (its name is given in each
/// property's summary); <see cref="IsolationLevel"/> and <see cref="CheckCrcs"/> are new.
/// </summary>
public abstract class ConsumerOptions
{
    /// <summary>Only this library's consumer options derive from it.</summary>
    private protected ConsumerOptions()
    {
    }

    /// <summary>
    /// The most bytes one fetch asks for per partition. A batch larger than this still comes back whole from brokers
    /// since Kafka 0.10.1 (KIP-74). pykafka: <c>fetch_message_max_bytes</c>.
    /// </summary>
    /// <value>The default value is 1 MiB (1,048,576 bytes).</value>
    public int FetchMessageMaxBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How many fetch loops each leader broker gets; a broker's partitions are spread over them by id, each loop with
    /// its own Fetch request in flight. pykafka: <c>num_consumer_fetchers</c> (its fetcher threads).
    /// </summary>
    /// <value>The default value is 1.</value>
    public int NumConsumerFetchers { get; set; } = 1;

    /// <summary>
    /// Whether offsets are committed every <see cref="AutoCommitInterval"/> and when the consumer is disposed (a
    /// simple consumer needs a <see cref="SimpleConsumerOptions.ConsumerGroup"/> for it). pykafka: <c>auto_commit_enable</c>.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool AutoCommitEnable { get; set; }

    /// <summary>How often offsets are committed when <see cref="AutoCommitEnable"/> is set. pykafka: <c>auto_commit_interval_ms</c>.</summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan AutoCommitInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A partition with this many messages fetched and not yet consumed is not fetched until the application catches
    /// up (back-pressure). pykafka: <c>queued_max_messages</c> (per partition, as there).
    /// </summary>
    /// <value>The default value is 2000 messages.</value>
    public int QueuedMaxMessages { get; set; } = 2000;

    /// <summary>The least data a fetch waits for on the broker (up to <see cref="FetchWaitMax"/>). pykafka: <c>fetch_min_bytes</c>.</summary>
    /// <value>The default value is 1 byte.</value>
    public int FetchMinBytes { get; set; } = 1;

    /// <summary>
    /// How long to wait before fetching a partition again after an error (a lost connection, a moved leader).
    /// pykafka: <c>fetch_error_backoff_ms</c> (used only by its librdkafka consumer there).
    /// </summary>
    /// <value>The default value is 500 milliseconds.</value>
    public TimeSpan FetchErrorBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the broker may hold a fetch waiting for <see cref="FetchMinBytes"/>. pykafka: <c>fetch_wait_max_ms</c>.</summary>
    /// <value>The default value is 100 milliseconds.</value>
    public TimeSpan FetchWaitMax { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The backoff between attempts of an offset commit or offset fetch: the n-th retry waits n times this.
    /// pykafka: <c>offsets_channel_backoff_ms</c>.
    /// </summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan OffsetsChannelBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many times a failed offset commit (or fetch) is retried, finding the coordinator again when it moved,
    /// before <see cref="KafkaOffsetCommitException"/> is raised. pykafka: <c>offsets_commit_max_retries</c>
    /// (which then gave up silently).
    /// </summary>
    /// <value>The default value is 5.</value>
    public int OffsetsCommitMaxRetries { get; set; } = 5;

    /// <summary>
    /// Where to start when there is no committed offset (or no group), and where to go when the offset to fetch no
    /// longer exists because retention deleted it: <see cref="OffsetType.Earliest"/> or <see cref="OffsetType.Latest"/>.
    /// pykafka: <c>auto_offset_reset</c>.
    /// </summary>
    /// <value>The default value is <see cref="OffsetType.Earliest"/>.</value>
    public OffsetType AutoOffsetReset { get; set; } = OffsetType.Earliest;

    /// <summary>
    /// How long a consume call (<see cref="SimpleConsumer.ConsumeAsync"/>, <see cref="BalancedConsumer.ConsumeAsync"/>) waits for a message before returning <see langword="null"/>
    /// (which also ends an <c>await foreach</c>); <see cref="Timeout.InfiniteTimeSpan"/> waits until a message arrives or
    /// the call is cancelled. pykafka: <c>consumer_timeout_ms</c> (-1 there).
    /// </summary>
    /// <value>The default value is <see cref="Timeout.InfiniteTimeSpan"/>.</value>
    public TimeSpan ConsumerTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Whether to ignore the group's committed offsets at start and begin at <see cref="AutoOffsetReset"/> (committing
    /// that position when a group is set). pykafka: <c>reset_offset_on_start</c>.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ResetOffsetOnStart { get; set; }

    /// <summary>
    /// Kept for pykafka's <c>compacted_topic</c>. pykafka dropped messages whose offset was not exactly the next one
    /// unless this was set; this consumer always accepts the gaps that compaction and transaction markers leave, so
    /// the setting changes nothing.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool CompactedTopic { get; set; }

    /// <summary>
    /// At start, for partitions the group has no committed offset for: whether the position chosen by
    /// <see cref="AutoOffsetReset"/> is committed at once (pykafka's behaviour), or left uncommitted until the
    /// application commits (set <see langword="false"/> for read-only consumers that must not change the group's
    /// offsets). pykafka: <c>reset_offset_on_fetch</c>.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool ResetOffsetOnFetch { get; set; } = true;

    /// <summary>Which transactional records are delivered. pykafka had no transactions.</summary>
    /// <value>The default value is <see cref="KafkaIsolationLevel.ReadUncommitted"/>.</value>
    public KafkaIsolationLevel IsolationLevel { get; set; } = KafkaIsolationLevel.ReadUncommitted;

    /// <summary>
    /// Whether the CRC of every fetched batch is verified; a mismatch stops the partition with
    /// <see cref="KafkaConsumeException"/>. As the Java client's <c>check.crcs</c> (librdkafka's default is off). pykafka
    /// never checked.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool CheckCrcs { get; set; } = true;

    /// <summary>Every problem with these settings, each naming its property; empty when they are valid.</summary>
    public virtual IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (FetchMessageMaxBytes <= 0)
        {
            errors.Add($"FetchMessageMaxBytes must be positive (was {FetchMessageMaxBytes}).");
        }
        if (NumConsumerFetchers is < 1 or > 64)
        {
            errors.Add($"NumConsumerFetchers must be 1 to 64 (was {NumConsumerFetchers}).");
        }
        if (AutoCommitInterval <= TimeSpan.Zero)
        {
            errors.Add($"AutoCommitInterval must be positive (was {AutoCommitInterval}).");
        }
        if (QueuedMaxMessages <= 0)
        {
            errors.Add($"QueuedMaxMessages must be positive (was {QueuedMaxMessages}).");
        }
        if (FetchMinBytes < 0)
        {
            errors.Add($"FetchMinBytes must not be negative (was {FetchMinBytes}).");
        }
        if (FetchErrorBackoff < TimeSpan.Zero)
        {
            errors.Add($"FetchErrorBackoff must not be negative (was {FetchErrorBackoff}).");
        }
        if (FetchWaitMax < TimeSpan.Zero || FetchWaitMax.TotalMilliseconds > int.MaxValue)
        {
            errors.Add($"FetchWaitMax must be between zero and {int.MaxValue} ms (was {FetchWaitMax}).");
        }
        if (OffsetsChannelBackoff < TimeSpan.Zero)
        {
            errors.Add($"OffsetsChannelBackoff must not be negative (was {OffsetsChannelBackoff}).");
        }
        if (OffsetsCommitMaxRetries < 0)
        {
            errors.Add($"OffsetsCommitMaxRetries must not be negative (was {OffsetsCommitMaxRetries}).");
        }
        if (AutoOffsetReset is not (OffsetType.Earliest or OffsetType.Latest))
        {
            errors.Add($"AutoOffsetReset must be Earliest or Latest (was {AutoOffsetReset}).");
        }
        if (ConsumerTimeout < TimeSpan.Zero && ConsumerTimeout != Timeout.InfiniteTimeSpan)
        {
            errors.Add($"ConsumerTimeout must be zero or more, or Timeout.InfiniteTimeSpan (was {ConsumerTimeout}).");
        }
        if (!Enum.IsDefined(IsolationLevel))
        {
            errors.Add($"IsolationLevel {IsolationLevel} is not defined.");
        }
        return errors;
    }

    /// <summary>Creates a copy, so that a consumer is not affected by later changes.</summary>
    public virtual ConsumerOptions Clone() => (ConsumerOptions)MemberwiseClone();
}
