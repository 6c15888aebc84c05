using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Consuming;

/// <summary>The balanced consumer's log messages (event ids 150–169).</summary>
internal static partial class BalancedConsumerLog
{
    [LoggerMessage(150, LogLevel.Information, "Group {GroupId}: generation {Generation} assigns this member {Count} partitions: {Partitions}")]
    public static partial void Assigned(ILogger logger, string groupId, int generation, int count, string partitions);

    [LoggerMessage(151, LogLevel.Information, "Group {GroupId}: giving up {Count} partitions of generation {Generation} (lost: {Lost})")]
    public static partial void Revoked(ILogger logger, string groupId, int generation, int count, bool lost);

    [LoggerMessage(152, LogLevel.Warning, "Group {GroupId}: reading the start offsets of generation {Generation} failed: {Reason}; retrying")]
    public static partial void StartOffsetsFailed(ILogger logger, string groupId, int generation, string reason);

    [LoggerMessage(153, LogLevel.Warning, "Group {GroupId}: committing the offsets of the partitions given up failed: {Reason}")]
    public static partial void RevokeCommitFailed(ILogger logger, string groupId, string reason);

    [LoggerMessage(154, LogLevel.Error, "Group {GroupId}: the post-rebalance callback failed; the committed offsets are kept")]
    public static partial void CallbackFailed(ILogger logger, Exception exception, string groupId);

    [LoggerMessage(159, LogLevel.Error, "Group {GroupId}: the {Callback} callback failed; the consumer carries on")]
    public static partial void PartitionsCallbackFailed(ILogger logger, Exception exception, string groupId, string callback);

    [LoggerMessage(155, LogLevel.Error, "Group {GroupId}: the membership failed: {Reason}")]
    public static partial void MembershipFailed(ILogger logger, string groupId, string reason);

    [LoggerMessage(156, LogLevel.Warning, "Group {GroupId}: {Topic}/{Partition} is assigned to this member but not in the cluster metadata; skipped")]
    public static partial void UnknownPartition(ILogger logger, string groupId, string topic, int partition);

    [LoggerMessage(158, LogLevel.Information, "Group {GroupId}: this member now holds {Count} partitions through ZooKeeper: {Partitions}")]
    public static partial void Claimed(ILogger logger, string groupId, int count, string partitions);

    [LoggerMessage(157, LogLevel.Debug, "Group {GroupId}: not committing {Partitions}: this member does not own them in the current generation")]
    public static partial void CommitSkipped(ILogger logger, string groupId, string partitions);
}
