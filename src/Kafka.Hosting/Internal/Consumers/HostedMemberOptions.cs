using Kafka.Client;

namespace Kafka.Hosting.Internal;

/// <summary>
/// The group member's options of a hosted consumer: a copy of the user's, storing and committing nothing by itself,
/// consuming without a timeout, with the hosted consumer's partition callbacks run before the user's own.
/// </summary>
internal static class HostedMemberOptions
{
    public static BalancedConsumerOptions Create(
        BalancedConsumerOptions user,
        Func<IReadOnlyList<TopicAndPartition>, Task> assigned,
        Func<IReadOnlyList<TopicAndPartition>, Task> revoked,
        Func<IReadOnlyList<TopicAndPartition>, Task> lost)
    {
        var options = (BalancedConsumerOptions)user.Clone();
        options.ConsumerGroup = null;
        options.StoreOffsetsOnConsume = false;
        options.AutoCommitEnable = false;
        options.ConsumerTimeout = Timeout.InfiniteTimeSpan;
        options.PartitionsAssigned = Chain(assigned, options.PartitionsAssigned);
        options.PartitionsRevoked = Chain(revoked, options.PartitionsRevoked);
        options.PartitionsLost = Chain(lost, options.PartitionsLost);
        return options;
    }

    private static Func<IReadOnlyList<TopicAndPartition>, CancellationToken, Task> Chain(
        Func<IReadOnlyList<TopicAndPartition>, Task> own, Func<IReadOnlyList<TopicAndPartition>, CancellationToken, Task>? user) =>
        async (partitions, token) =>
        {
            await own(partitions).ConfigureAwait(false);
            if (user is not null)
            {
                await user(partitions, token).ConfigureAwait(false);
            }
        };
}
