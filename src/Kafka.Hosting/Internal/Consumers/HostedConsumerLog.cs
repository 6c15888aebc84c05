using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>The hosted consumers' log events (category <c>Kafka.Hosting.Consumer</c>, events 400–429).</summary>
internal static partial class HostedConsumerLog
{
    public const string Category = "Kafka.Hosting.Consumer";

    [LoggerMessage(400, LogLevel.Information, "Consumer of {Topics} in group {Group} started")]
    public static partial void Started(ILogger logger, string topics, string group);

    [LoggerMessage(401, LogLevel.Information, "Consumer of {Topics} in group {Group} stopped")]
    public static partial void Stopped(ILogger logger, string topics, string group);

    [LoggerMessage(402, LogLevel.Error, "Consumer of {Topics} in group {Group} failed; a new one starts in {DelaySeconds} s")]
    public static partial void ConsumerFailed(ILogger logger, Exception exception, string topics, string group, double delaySeconds);

    [LoggerMessage(403, LogLevel.Warning, "Closing the consumer of {Topics} in group {Group} failed")]
    public static partial void CloseFailed(ILogger logger, Exception exception, string topics, string group);

    [LoggerMessage(404, LogLevel.Error, "Consumer of {Topics} in group {Group}: {Reason}")]
    public static partial void PartitionError(ILogger logger, string topics, string group, string reason);

    [LoggerMessage(405, LogLevel.Warning, "The handler failed for {Topic}/{Partition} at offset {Offset} (group {Group}) after its retries")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string topic, int partition, long offset, string group);

    [LoggerMessage(406, LogLevel.Error, "Consumption of {Topic}/{Partition} in group {Group} stopped at offset {Offset}: its handler keeps failing; the partition resumes there after the next rebalance or restart")]
    public static partial void PartitionStopped(ILogger logger, string topic, int partition, long offset, string group);

    [LoggerMessage(407, LogLevel.Error, "Skipped {Topic}/{Partition} at offset {Offset} in group {Group}: its handler keeps failing")]
    public static partial void MessageSkipped(ILogger logger, string topic, int partition, long offset, string group);

    [LoggerMessage(408, LogLevel.Warning, "Committing the offsets of {Partitions} for group {Group} failed; tried again every {IntervalSeconds} s until it works (logged once): {Reason}")]
    public static partial void CommitFailed(ILogger logger, string partitions, string group, double intervalSeconds, string reason);

    [LoggerMessage(409, LogLevel.Error, "Forwarded {Topic}/{Partition} at offset {Offset} in group {Group} to dead-letter topic {DeadLetterTopic} ({DeadLetterPartition} at offset {DeadLetterOffset}): its handler keeps failing")]
    public static partial void MessageDeadLettered(ILogger logger, string topic, int partition, long offset, string group, string deadLetterTopic, int deadLetterPartition, long deadLetterOffset);

    [LoggerMessage(410, LogLevel.Error, "Forwarding {Topic}/{Partition} at offset {Offset} in group {Group} to dead-letter topic {DeadLetterTopic} failed; consumption of the partition stopped there and resumes after the next rebalance or restart")]
    public static partial void DeadLetterFailed(ILogger logger, Exception exception, string topic, int partition, long offset, string group, string deadLetterTopic);

    [LoggerMessage(411, LogLevel.Warning, "Closing the dead-letter producer of the consumer of {Topics} in group {Group} failed")]
    public static partial void DeadLetterCloseFailed(ILogger logger, Exception exception, string topics, string group);

    [LoggerMessage(412, LogLevel.Information, "Committing offsets for group {Group} works again")]
    public static partial void CommitRecovered(ILogger logger, string group);

    [LoggerMessage(413, LogLevel.Warning, "The handler failed for the batch of {Count} message(s) of {Topic}/{Partition} from offset {Offset} (group {Group}) after its retries")]
    public static partial void BatchHandlerFailed(ILogger logger, Exception exception, int count, string topic, int partition, long offset, string group);

    [LoggerMessage(414, LogLevel.Error, "Skipped the batch of {Count} message(s) of {Topic}/{Partition} from offset {Offset} in group {Group}: its handler keeps failing")]
    public static partial void BatchSkipped(ILogger logger, int count, string topic, int partition, long offset, string group);

    [LoggerMessage(415, LogLevel.Warning, "{Topic}/{Partition} at offset {Offset} (group {Group}) could not be deserialized; it goes to the failure policy without retries")]
    public static partial void DeserializationFailed(ILogger logger, Exception exception, string topic, int partition, long offset, string group);

    [LoggerMessage(416, LogLevel.Warning, "Handlers of {Partitions} (group {Group}) still ran {TimeoutSeconds} s after the partitions were given up; they were cancelled and their messages stay uncommitted")]
    public static partial void DrainTimedOut(ILogger logger, string partitions, string group, double timeoutSeconds);

    [LoggerMessage(417, LogLevel.Error, "A handling lane of the consumer of {Topics} in group {Group} failed unexpectedly")]
    public static partial void LaneFailed(ILogger logger, Exception exception, string topics, string group);

    [LoggerMessage(418, LogLevel.Debug, "Partitions {Partitions} paused (group {Group}): their lanes hold {InFlight} message(s) not handled yet")]
    public static partial void Paused(ILogger logger, string partitions, string group, int inFlight);
}
