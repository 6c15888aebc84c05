namespace Kafka.Client.Protocol;

/// <summary>
/// The answer to <see cref="AddOffsetsToTxnRequest"/> and <see cref="EndTxnRequest"/>: an error code and, for EndTxn
/// v5 (transactions V2, where every transaction ends with a new epoch), the producer id and epoch to go on with.
/// </summary>
internal sealed record TxnResponse(int ThrottleTimeMs, KafkaErrorCode ErrorCode, long ProducerId = -1, short ProducerEpoch = -1);
