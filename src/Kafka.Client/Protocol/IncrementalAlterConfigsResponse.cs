namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="IncrementalAlterConfigsRequest"/>.</summary>
internal sealed record IncrementalAlterConfigsResponse(int ThrottleTimeMs, IReadOnlyList<AlterConfigsResourceResult> Responses);

/// <summary>The outcome for one resource.</summary>
internal sealed record AlterConfigsResourceResult(KafkaErrorCode ErrorCode, string? ErrorMessage, sbyte ResourceType, string ResourceName);
