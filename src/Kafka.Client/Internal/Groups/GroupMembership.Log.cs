using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Groups;

/// <summary>The membership's log messages.</summary>
internal sealed partial class GroupMembership
{
    private static partial class Log
    {
        [LoggerMessage(200, LogLevel.Information, "Group {GroupId}: coordinator is {Coordinator}")]
        public static partial void CoordinatorFound(ILogger logger, string groupId, string coordinator);

        [LoggerMessage(201, LogLevel.Warning, "Group {GroupId}: coordinator lookup failed (attempt {Attempt}): {Reason}")]
        public static partial void CoordinatorLookupFailed(ILogger logger, string groupId, int attempt, string reason);

        [LoggerMessage(202, LogLevel.Information, "Group {GroupId}: dropping coordinator {Coordinator}: {Reason}")]
        public static partial void CoordinatorDropped(ILogger logger, string groupId, string coordinator, string reason);

        [LoggerMessage(203, LogLevel.Warning, "Group {GroupId}: request to {Coordinator} failed; looking for the coordinator again: {Reason}")]
        public static partial void CoordinatorRequestFailed(ILogger logger, string groupId, string coordinator, string reason);

        [LoggerMessage(204, LogLevel.Debug, "Group {GroupId}: joining as '{MemberId}' through {Coordinator}: {Reason}")]
        public static partial void Joining(ILogger logger, string groupId, string memberId, string coordinator, string reason);

        [LoggerMessage(205, LogLevel.Debug, "Group {GroupId}: the coordinator assigned member id '{MemberId}'; joining again with it")]
        public static partial void MemberIdAssigned(ILogger logger, string groupId, string memberId);

        [LoggerMessage(206, LogLevel.Information, "Group {GroupId}: joined generation {Generation} as '{MemberId}' (leader: {IsLeader}, protocol {Protocol}) with {PartitionCount} partitions")]
        public static partial void Joined(ILogger logger, string groupId, int generation, string memberId, bool isLeader, string protocol, int partitionCount);

        [LoggerMessage(207, LogLevel.Debug, "Group {GroupId}: {Assignor} assigned {PartitionCount} partitions of {TopicCount} topics to {MemberCount} members")]
        public static partial void Assigned(ILogger logger, string groupId, string assignor, int memberCount, int topicCount, int partitionCount);

        [LoggerMessage(208, LogLevel.Warning, "Group {GroupId}: member '{MemberId}' sent a subscription that cannot be read; it gets no partitions: {Reason}")]
        public static partial void BadSubscription(ILogger logger, string groupId, string memberId, string reason);

        [LoggerMessage(209, LogLevel.Warning, "Group {GroupId}: subscribed topic '{Topic}' is not available; it is not assigned: {Reason}")]
        public static partial void TopicUnavailable(ILogger logger, string groupId, string topic, string reason);

        [LoggerMessage(210, LogLevel.Warning, "Group {GroupId}: the leader assigned {Partition}, of a topic this member does not subscribe to; ignored")]
        public static partial void UnsubscribedPartition(ILogger logger, string groupId, string partition);



        [LoggerMessage(213, LogLevel.Warning, "Group {GroupId}: join failed ({Failures} of {MaxRetries} retries); next attempt in {BackoffMs:0} ms")]
        public static partial void JoinFailed(ILogger logger, Exception exception, string groupId, int failures, int maxRetries, double backoffMs);


        [LoggerMessage(215, LogLevel.Warning, "Group {GroupId}: heartbeat to {Coordinator} failed: {Reason}")]
        public static partial void HeartbeatFailed(ILogger logger, string groupId, string coordinator, string reason);

        [LoggerMessage(216, LogLevel.Error, "Group {GroupId}: unexpected error in the heartbeat loop")]
        public static partial void HeartbeatLoopError(ILogger logger, Exception exception, string groupId);

        [LoggerMessage(217, LogLevel.Information, "Group {GroupId}: member '{MemberId}' left the group ({Result})")]
        public static partial void Left(ILogger logger, string groupId, string memberId, string result);

        [LoggerMessage(218, LogLevel.Warning, "Group {GroupId}: member '{MemberId}' could not send LeaveGroup; the coordinator drops it after the session timeout: {Reason}")]
        public static partial void LeaveFailed(ILogger logger, string groupId, string memberId, string reason);


        [LoggerMessage(221, LogLevel.Information, "Group {GroupId}: {Coordinator} answered a heartbeat with {Error}; looking for the coordinator again")]
        public static partial void CoordinatorMoved(ILogger logger, string groupId, string coordinator, string error);

    }
}
