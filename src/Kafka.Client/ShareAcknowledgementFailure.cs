namespace Kafka.Client;

/// <summary>
/// Acknowledgements of a share consumer that the broker refused for one partition: typically
/// <see cref="KafkaErrorCode.InvalidRecordState"/>, because a record's acquisition lock ran out before the
/// acknowledgement arrived and the group has handed it to someone else.
/// </summary>
/// <param name="Topic">The topic.</param>
/// <param name="PartitionId">The partition.</param>
/// <param name="ErrorCode">The broker's error.</param>
/// <param name="Reason">The broker's words, or the error's description.</param>
/// <param name="Offsets">The offsets whose acknowledgements were refused.</param>
public sealed record ShareAcknowledgementFailure(string Topic, int PartitionId, KafkaErrorCode ErrorCode, string Reason, IReadOnlyList<long> Offsets);
