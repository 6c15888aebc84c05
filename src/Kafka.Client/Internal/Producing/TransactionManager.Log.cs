using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Producing;

/// <summary>The transaction manager's log messages.</summary>
internal sealed partial class TransactionManager
{
    private static partial class TransactionLog
    {
        [LoggerMessage(300, LogLevel.Information, "Transactional producer {TransactionalId}: producer id {ProducerId}, epoch {Epoch}, transactions V{TransactionVersion}")]
        public static partial void Initialized(ILogger logger, string transactionalId, long producerId, short epoch, int transactionVersion);

        [LoggerMessage(301, LogLevel.Debug, "Transactional producer {TransactionalId}: the {Kind} coordinator of '{Key}' is broker {BrokerId}")]
        public static partial void CoordinatorFound(ILogger logger, string transactionalId, string kind, string key, int brokerId);

        [LoggerMessage(302, LogLevel.Warning, "Transactional producer {TransactionalId}: {What} failed ({Reason}); retrying (attempt {Attempt})")]
        public static partial void Retrying(ILogger logger, string transactionalId, string what, string reason, int attempt);

        [LoggerMessage(303, LogLevel.Error, "Transactional producer {TransactionalId} is fenced: {Error} while {What}; it accepts no more work")]
        public static partial void Fenced(ILogger logger, string transactionalId, string error, string what);

        [LoggerMessage(304, LogLevel.Debug, "Transactional producer {TransactionalId}: transaction {Number} {Outcome}")]
        public static partial void Ended(ILogger logger, string transactionalId, string outcome, int number);

        [LoggerMessage(305, LogLevel.Error, "Transactional producer {TransactionalId}: the partition loop hit an unexpected error; it continues")]
        public static partial void LoopError(ILogger logger, Exception exception, string transactionalId);
    }
}
