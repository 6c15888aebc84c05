using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Producing;

/// <summary>The producer's log messages (event ids 100-129).</summary>
internal static partial class ProducerLog
{
    [LoggerMessage(100, LogLevel.Debug, "Producer for topic {Topic} started: acks {Acks}, idempotent {Idempotent}, compression {Compression}, linger {LingerMs} ms")]
    public static partial void Started(ILogger logger, string topic, short acks, bool idempotent, CompressionType compression, double lingerMs);

    [LoggerMessage(101, LogLevel.Warning, "Produce request for {Topic} to broker {BrokerId} failed: {Reason}; {Batches} batch(es) will be retried or failed")]
    public static partial void RequestFailed(ILogger logger, string topic, int brokerId, string reason, int batches);

    [LoggerMessage(102, LogLevel.Debug, "Batch for {Topic}/{Partition} failed with {Error} (attempt {Attempt}); retrying in {BackoffMs:0} ms")]
    public static partial void Retrying(ILogger logger, string topic, int partition, string error, int attempt, double backoffMs);

    [LoggerMessage(103, LogLevel.Warning, "{Count} message(s) for {Topic}/{Partition} were not delivered: {Reason}")]
    public static partial void MessagesFailed(ILogger logger, string topic, int partition, int count, string reason);


    [LoggerMessage(105, LogLevel.Information, "Producer for {Topic} got producer id {ProducerId}, epoch {Epoch}")]
    public static partial void IdentityAcquired(ILogger logger, string topic, long producerId, short epoch);

    [LoggerMessage(106, LogLevel.Warning, "Producer for {Topic} could not get a producer id: {Reason}")]
    public static partial void IdentityFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(107, LogLevel.Warning, "Producer for {Topic} is not idempotent: {Reason}")]
    public static partial void IdempotenceDisabled(ILogger logger, string topic, string reason);

    [LoggerMessage(108, LogLevel.Information, "Producer for {Topic} resets its sequence numbers with a new epoch: {Reason}")]
    public static partial void IdentityReset(ILogger logger, string topic, string reason);

    [LoggerMessage(109, LogLevel.Warning, "Partition {Topic}/{Partition} left the cluster metadata; its queued messages fail")]
    public static partial void PartitionGone(ILogger logger, string topic, int partition);

    [LoggerMessage(110, LogLevel.Error, "The {Loop} loop of the producer for {Topic} hit an unexpected error; it continues")]
    public static partial void LoopError(ILogger logger, Exception exception, string loop, string topic);

    [LoggerMessage(111, LogLevel.Warning, "Producer for {Topic} disposed with {Count} message(s) undelivered after the pending timeout")]
    public static partial void DisposedWithPending(ILogger logger, string topic, int count);
}
