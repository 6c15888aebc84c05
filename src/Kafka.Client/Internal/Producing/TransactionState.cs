namespace Kafka.Client.Internal.Producing;

/// <summary>Where a transactional producer stands.</summary>
internal enum TransactionState
{
    Uninitialized,
    Ready,
    InTransaction,
    Committing,
    Aborting,
    AbortableError,
    Fenced,
    Closed,
}
