namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="CreatePartitionsRequest"/>.</summary>
/// <param name="ThrottleTimeMs">How long the broker throttled the request.</param>
/// <param name="Results">One result per topic.</param>
internal sealed record CreatePartitionsResponse(int ThrottleTimeMs, IReadOnlyList<CreatePartitionsTopicResult> Results);

/// <summary>The outcome for one topic.</summary>
internal sealed record CreatePartitionsTopicResult(string Name, KafkaErrorCode ErrorCode, string? ErrorMessage);
