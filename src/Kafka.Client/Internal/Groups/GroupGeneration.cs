namespace Kafka.Client.Internal.Groups;

/// <summary>A generation of the group as one member took part in it, with that member's assignment.</summary>
/// <param name="GenerationId">The generation id (commits carry it).</param>
/// <param name="MemberId">This member's id in the generation (commits carry it).</param>
/// <param name="ProtocolName">The assignor the coordinator chose.</param>
/// <param name="LeaderId">The leader's member id.</param>
/// <param name="Assignment">The partitions this member owns in the generation, sorted.</param>
internal sealed record GroupGeneration(
    int GenerationId, string MemberId, string ProtocolName, string LeaderId, IReadOnlyList<TopicAndPartition> Assignment)
{
    /// <summary>Whether this member led the generation (computed everyone's assignment).</summary>
    public bool IsLeader => string.Equals(MemberId, LeaderId, StringComparison.Ordinal);
}

/// <summary>Where a <see cref="GroupMembership"/> is in its life.</summary>
internal enum GroupMembershipState
{
    /// <summary>Created, not started.</summary>
    Created,

    /// <summary>Finding the coordinator, joining or syncing: no assignment.</summary>
    Joining,

    /// <summary>In a generation with an assignment, heartbeating.</summary>
    Stable,

    /// <summary>Stopping: revoking and leaving.</summary>
    Stopping,

    /// <summary>Stopped (left the group, or stopped after a failure).</summary>
    Stopped,

    /// <summary>Failed for good: see <see cref="GroupMembershipBase.Failure"/>. Stop it to release its connection.</summary>
    Failed,
}

/// <summary>
/// Called with the generation whose partitions the member is about to give up, before it rejoins or leaves. The
/// member waits for it (commit the offsets of those partitions here, with the generation and member id).
/// <paramref name="lost"/> is true when the membership is already gone (evicted, fenced, generation expired): the
/// partitions may belong to another member by now and commits would be refused.
/// </summary>
internal delegate Task PartitionsRevokedHandler(GroupGeneration generation, bool lost, CancellationToken cancellationToken);

/// <summary>Called with each new generation and this member's partitions in it (possibly none), after the sync.</summary>
internal delegate Task PartitionsAssignedHandler(GroupGeneration generation, CancellationToken cancellationToken);

/// <summary>
/// Called once when the membership fails for good (fenced, not authorized, retries exhausted), after the partitions
/// were revoked as lost. It runs apart from the membership's loop, so it may await <see cref="GroupMembershipBase.StopAsync"/>.
/// </summary>
internal delegate Task MembershipFailedHandler(KafkaException error, CancellationToken cancellationToken);

/// <summary>
/// What a <see cref="GroupMembership"/> calls as its assignment changes. Calls are made one at a time, never
/// concurrently, from the membership's own loop; heartbeats continue while they run. An exception from a callback
/// is logged and does not stop the membership. <see cref="GroupMembershipBase.StopAsync"/> waits for a running
/// callback, so calling it from PartitionsAssigned or PartitionsRevoked throws <see cref="InvalidOperationException"/>.
/// </summary>
internal sealed class GroupMembershipCallbacks
{
    /// <summary>Before partitions are given up (rejoin, stop, loss); see <see cref="PartitionsRevokedHandler"/>.</summary>
    public PartitionsRevokedHandler? PartitionsRevoked { get; init; }

    /// <summary>After each successful sync; see <see cref="PartitionsAssignedHandler"/>.</summary>
    public PartitionsAssignedHandler? PartitionsAssigned { get; init; }

    /// <summary>When the membership fails for good; see <see cref="MembershipFailedHandler"/>.</summary>
    public MembershipFailedHandler? Failed { get; init; }

    /// <summary>Calls <see cref="PartitionsRevoked"/> if set; an exception goes to <paramref name="failed"/> with the callback's name.</summary>
    internal async Task InvokeRevokedAsync(GroupGeneration generation, bool lost, Action<Exception, string> failed, CancellationToken cancellationToken)
    {
        if (PartitionsRevoked is { } revoked)
        {
            try
            {
                await revoked(generation, lost, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failed(ex, nameof(PartitionsRevoked));
            }
        }
    }

    /// <summary>Calls <see cref="PartitionsAssigned"/> if set; an exception goes to <paramref name="failed"/> with the callback's name.</summary>
    internal async Task InvokeAssignedAsync(GroupGeneration generation, Action<Exception, string> failed, CancellationToken cancellationToken)
    {
        if (PartitionsAssigned is { } assigned)
        {
            try
            {
                await assigned(generation, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failed(ex, nameof(PartitionsAssigned));
            }
        }
    }

    /// <summary>
    /// Calls <see cref="Failed"/>, if set, off the membership's loop, so that the handler may await the membership's
    /// stop (which waits for the loop to end); an exception goes to <paramref name="failed"/>.
    /// </summary>
    internal void InvokeFailedInBackground(KafkaException error, Action<Exception, string> failed, CancellationToken cancellationToken)
    {
        if (Failed is not { } handler)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await handler(error, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failed(ex, nameof(Failed));
            }
        }, CancellationToken.None);
    }
}
