namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="TxnOffsetCommitRequest"/>: one error code per partition.</summary>
internal sealed record TxnOffsetCommitResponse(int ThrottleTimeMs, IReadOnlyList<TxnPartitionResult> Results);
