namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="DeleteRecordsRequest"/>.</summary>
internal sealed record DeleteRecordsResponse(int ThrottleTimeMs, IReadOnlyList<DeleteRecordsTopicResult> Topics);

/// <summary>The outcome for one topic's partitions.</summary>
internal sealed record DeleteRecordsTopicResult(string Name, IReadOnlyList<DeleteRecordsPartitionResult> Partitions);

/// <summary>The outcome for one partition: its new log start offset, or an error.</summary>
internal sealed record DeleteRecordsPartitionResult(int PartitionIndex, long LowWatermark, KafkaErrorCode ErrorCode);
