namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="CreateTopicsRequest"/>.</summary>
/// <param name="ThrottleTimeMs">How long the broker throttled the request.</param>
/// <param name="Topics">One result per topic.</param>
internal sealed record CreateTopicsResponse(int ThrottleTimeMs, IReadOnlyList<CreatableTopicResult> Topics);

/// <summary>The outcome for one topic.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="TopicId">The new topic's id (v7+), or empty.</param>
/// <param name="ErrorCode">The error, or none.</param>
/// <param name="ErrorMessage">The broker's explanation, or null.</param>
/// <param name="NumPartitions">The topic's partition count (v5+), or -1.</param>
/// <param name="ReplicationFactor">The topic's replication factor (v5+), or -1.</param>
/// <param name="Configs">The topic's configuration (v5+), or null.</param>
/// <param name="TopicConfigErrorCode">Why the configuration is missing (v5+ tagged field), or none.</param>
internal sealed record CreatableTopicResult(
    string Name, Guid TopicId, KafkaErrorCode ErrorCode, string? ErrorMessage, int NumPartitions, short ReplicationFactor,
    IReadOnlyList<CreatableTopicConfig>? Configs, KafkaErrorCode TopicConfigErrorCode);

/// <summary>One configuration entry of a created topic (v5+).</summary>
internal sealed record CreatableTopicConfig(string Name, string? Value, bool ReadOnly, sbyte ConfigSource, bool IsSensitive);
