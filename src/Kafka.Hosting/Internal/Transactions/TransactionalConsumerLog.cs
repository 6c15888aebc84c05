using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>The transactional consumers' log events (category <c>Kafka.Hosting.Consumer</c>, events 430–439).</summary>
internal static partial class TransactionalConsumerLog
{
    [LoggerMessage(430, LogLevel.Information, "Transactional consumer of {Topics} in group {Group} started with transactional id {TransactionalId}")]
    public static partial void Started(ILogger logger, string topics, string group, string transactionalId);

    [LoggerMessage(431, LogLevel.Warning, "Transaction of {Count} message(s) of {Topics} in group {Group} aborted, to be handled again from {Partitions}: the handler failed for {FailedPartitions}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, int count, string topics, string group, string partitions, string failedPartitions);

    [LoggerMessage(432, LogLevel.Warning, "Transaction of {Count} message(s) of {Topics} in group {Group} could not commit and was aborted, to be handled again from {Partitions}")]
    public static partial void CommitFailed(ILogger logger, Exception exception, int count, string topics, string group, string partitions);

    [LoggerMessage(433, LogLevel.Error, "Transactional consumption of {Partition} in group {Group} stopped at offset {Offset}: its handler failed {Attempts} time(s); the partition resumes there after the next rebalance or restart")]
    public static partial void PartitionStopped(ILogger logger, string partition, string group, long offset, int attempts);

    [LoggerMessage(434, LogLevel.Critical, "Transactional consumer of {Topics} in group {Group} was fenced: a newer producer with transactional id {TransactionalId} took over, so this instance is a zombie and stops for good (nothing it left open commits)")]
    public static partial void Fenced(ILogger logger, Exception exception, string topics, string group, string transactionalId);

    [LoggerMessage(435, LogLevel.Information, "Transactional consumer of {Topics} in group {Group}: transactions commit again")]
    public static partial void Recovered(ILogger logger, string topics, string group);
}
