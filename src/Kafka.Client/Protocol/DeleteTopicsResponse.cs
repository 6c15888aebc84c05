namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="DeleteTopicsRequest"/>.</summary>
/// <param name="ThrottleTimeMs">How long the broker throttled the request.</param>
/// <param name="Results">One result per topic.</param>
internal sealed record DeleteTopicsResponse(int ThrottleTimeMs, IReadOnlyList<DeletableTopicResult> Results);

/// <summary>The outcome for one topic.</summary>
/// <param name="Name">The topic name (null from v6 when the topic was named by an unknown id).</param>
/// <param name="TopicId">The topic id (v6+), or empty.</param>
/// <param name="ErrorCode">The error, or none.</param>
/// <param name="ErrorMessage">The broker's explanation (v5+), or null.</param>
internal sealed record DeletableTopicResult(string? Name, Guid TopicId, KafkaErrorCode ErrorCode, string? ErrorMessage);
