namespace Kafka.Client.Protocol;

/// <summary>The answer to <see cref="AddPartitionsToTxnRequest"/>: one error code per partition.</summary>
internal sealed record AddPartitionsToTxnResponse(int ThrottleTimeMs, IReadOnlyList<TxnPartitionResult> Results);

/// <summary>The outcome for one partition of a transaction request (AddPartitionsToTxn, TxnOffsetCommit).</summary>
internal sealed record TxnPartitionResult(string Topic, int Partition, KafkaErrorCode ErrorCode);
