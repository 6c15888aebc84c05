namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="DescribeConfigsRequest"/>.</summary>
internal sealed record DescribeConfigsResponse(int ThrottleTimeMs, IReadOnlyList<DescribeConfigsResult> Results);

/// <summary>One resource's configuration, or its error.</summary>
internal sealed record DescribeConfigsResult(
    KafkaErrorCode ErrorCode, string? ErrorMessage, sbyte ResourceType, string ResourceName, IReadOnlyList<DescribeConfigsEntry> Configs);

/// <summary>
/// One configuration entry.
/// ConfigSource: Where the value comes from (Kafka's DescribeConfigsResponse.ConfigSource ids).
/// ConfigType: The value's type (v3+; 0 unknown).
/// </summary>
internal sealed record DescribeConfigsEntry(
    string Name, string? Value, bool ReadOnly, sbyte ConfigSource, bool IsSensitive,
    IReadOnlyList<DescribeConfigsSynonym> Synonyms, sbyte ConfigType, string? Documentation);

/// <summary>A value the entry overrides or would fall back to.</summary>
internal sealed record DescribeConfigsSynonym(string Name, string? Value, sbyte Source);
