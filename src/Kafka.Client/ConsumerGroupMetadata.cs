namespace Kafka.Client;

/// <summary>
/// A consumer group member as the group coordinator knows it, for
/// <see cref="TransactionalProducer.SendOffsetsToTransactionAsync"/>: the coordinator refuses offsets committed in a
/// transaction by a member that is no longer in the group's current generation (KIP-447), so that a consumer that lost
/// its partitions cannot commit over their new owner. Get it from <see cref="BalancedConsumer.GroupMetadata"/> right
/// before sending the offsets; a consumer outside group membership uses the group id alone.
/// </summary>
/// <param name="GroupId">The consumer group.</param>
/// <param name="GenerationId">The group generation the member belongs to; -1 outside membership.</param>
/// <param name="MemberId">The member id the coordinator gave; empty outside membership.</param>
/// <param name="GroupInstanceId">The static member id (<see cref="BalancedConsumerOptions.GroupInstanceId"/>), or <see langword="null"/>.</param>
public sealed record ConsumerGroupMetadata(string GroupId, int GenerationId = -1, string MemberId = "", string? GroupInstanceId = null);
