namespace Kafka.Client.Internal.Groups;

/// <summary>
/// How a balanced consumer takes part in its group: Kafka's group protocol (<see cref="GroupMembership"/>) or
/// ZooKeeper registrations (<see cref="ZooKeeperGroupMembership"/>). Either one tells the consumer of its partitions
/// through the <see cref="GroupMembershipCallbacks"/> it was created with, one call at a time.
/// </summary>
internal interface IGroupMembership
{
    /// <summary>The member's id in the group (empty while it has none).</summary>
    string MemberId { get; }

    /// <summary>Starts taking part in the background; returns at once.</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Revokes the partitions (the callback commits them), leaves the group and releases its connections.</summary>
    Task StopAsync(CancellationToken cancellationToken = default);

    /// <summary>Tells the membership of a group error an offset commit met, so that it acts on it as its protocol says.</summary>
    void ReportGroupError(KafkaErrorCode error);
}
