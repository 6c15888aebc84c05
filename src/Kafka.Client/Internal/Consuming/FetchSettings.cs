namespace Kafka.Client.Internal.Consuming;

/// <summary>The fetch engine's settings, taken from the consumer options.</summary>
internal sealed record FetchSettings
{
    /// <summary>The most bytes one fetch returns for one partition (grown for a batch that does not fit).</summary>
    public required int PartitionMaxBytes { get; init; }

    public required int MinBytes { get; init; }

    public required TimeSpan MaxWait { get; init; }

    /// <summary>A partition with this many messages buffered and not consumed is not fetched.</summary>
    public required int QueuedMaxMessages { get; init; }

    public required TimeSpan ErrorBackoff { get; init; }

    /// <summary>Earliest or latest: where a partition whose offset fell out of range resumes.</summary>
    public required OffsetType AutoOffsetReset { get; init; }

    public required bool ReadCommitted { get; init; }

    /// <summary>How many fetch loops each leader broker gets; partitions are spread over them by id.</summary>
    public required int FetchersPerBroker { get; init; }

    /// <summary>Whether batch CRCs are verified.</summary>
    public bool VerifyChecksums { get; init; } = true;

    /// <summary>The most bytes one whole fetch response may hold.</summary>
    public required int ResponseMaxBytes { get; init; }

    /// <summary>The consumer group (telemetry's <c>messaging.consumer.group.name</c>); null for none.</summary>
    public string? Group { get; init; }

    /// <summary>The settings a consumer with <paramref name="options"/> fetches with, on a client with <paramref name="connection"/>.</summary>
    public static FetchSettings From(ConsumerOptions options, ConnectionSettings connection, string? group = null) => new()
    {
        Group = group,
        PartitionMaxBytes = options.FetchMessageMaxBytes,
        MinBytes = options.FetchMinBytes,
        MaxWait = options.FetchWaitMax,
        QueuedMaxMessages = options.QueuedMaxMessages,
        ErrorBackoff = options.FetchErrorBackoff,
        AutoOffsetReset = options.AutoOffsetReset,
        ReadCommitted = options.IsolationLevel == KafkaIsolationLevel.ReadCommitted,
        FetchersPerBroker = options.NumConsumerFetchers,
        VerifyChecksums = options.CheckCrcs,
        // At least 50 MiB (the Java client's fetch.max.bytes), and room for one partition's largest fetch.
        ResponseMaxBytes = Math.Min(connection.MaxResponseSize - 1024, Math.Max(50 * 1024 * 1024, options.FetchMessageMaxBytes)),
    };
}
