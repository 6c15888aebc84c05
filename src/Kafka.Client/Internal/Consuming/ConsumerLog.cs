using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Consuming;

/// <summary>The consumer's log messages (event ids 100–149).</summary>
internal static partial class ConsumerLog
{
    [LoggerMessage(100, LogLevel.Warning, "Fetch from broker {BrokerId} failed: {Reason}; its partitions are retried in {BackoffMs:0} ms")]
    public static partial void FetchFailed(ILogger logger, int brokerId, string reason, double backoffMs);

    [LoggerMessage(101, LogLevel.Information, "Fetching {Topic}/{Partition} at offset {Offset} from broker {BrokerId} failed with {Error}; refreshing metadata and retrying")]
    public static partial void PartitionRetry(ILogger logger, string topic, int partition, long offset, int brokerId, string error);

    [LoggerMessage(102, LogLevel.Warning, "Offset {Offset} of {Topic}/{Partition} is out of range (the log holds {Earliest} to {Latest}); resuming at {NewOffset}")]
    public static partial void OffsetReset(ILogger logger, string topic, int partition, long offset, long earliest, long latest, long newOffset);

    [LoggerMessage(103, LogLevel.Information, "{Topic}/{Partition} moved from broker {OldLeader} to broker {NewLeader}")]
    public static partial void LeaderMoved(ILogger logger, string topic, int partition, int oldLeader, int newLeader);


    [LoggerMessage(105, LogLevel.Error, "Consumption of {Topic}/{Partition} stopped at offset {Offset}: {Reason}")]
    public static partial void PartitionFailed(ILogger logger, string topic, int partition, long offset, string reason);

    [LoggerMessage(106, LogLevel.Error, "The consumer's maintenance loop failed; it carries on")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception);

    [LoggerMessage(107, LogLevel.Error, "The fetch loop for broker {BrokerId} failed; it carries on")]
    public static partial void FetchLoopFailed(ILogger logger, Exception exception, int brokerId);

    [LoggerMessage(108, LogLevel.Warning, "A batch at offset {Offset} of {Topic}/{Partition} is larger than the fetch size; fetching up to {Bytes} bytes")]
    public static partial void FetchSizeGrown(ILogger logger, string topic, int partition, long offset, int bytes);

    [LoggerMessage(109, LogLevel.Warning, "Looking up offsets to reset partitions of {Topic} failed: {Reason}; retrying")]
    public static partial void ResetFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(110, LogLevel.Warning, "Automatic offset commit for group {Group} failed: {Reason}")]
    public static partial void AutoCommitFailed(ILogger logger, string group, string reason);

    [LoggerMessage(115, LogLevel.Information, "Automatic offset commit for group {Group} works again")]
    public static partial void AutoCommitRecovered(ILogger logger, string group);

    [LoggerMessage(111, LogLevel.Error, "Committing the offsets of group {Group} while disposing the consumer failed; they are not stored")]
    public static partial void FinalCommitFailed(ILogger logger, Exception exception, string group);

    [LoggerMessage(112, LogLevel.Debug, "Group {Group} is coordinated by broker {BrokerId}")]
    public static partial void CoordinatorFound(ILogger logger, string group, int brokerId);

    [LoggerMessage(113, LogLevel.Information, "Offsets request for group {Group} to broker {BrokerId} failed ({Reason}); attempt {Attempt}, retrying")]
    public static partial void OffsetsRetry(ILogger logger, string group, int brokerId, string reason, int attempt);

    [LoggerMessage(114, LogLevel.Error, "Starting the consumer of {Topic} failed: {Reason}; the next call tries again")]
    public static partial void StartFailed(ILogger logger, string topic, string reason);
}
