namespace Kafka.ZooKeeper;

/// <summary>
/// The connection to ZooKeeper was lost, or could not be made in time (error ConnectionLoss, -4). The session may
/// still be alive and the client keeps reconnecting; whether an operation that was in flight took effect is
/// unknown, so retry it only if it is idempotent or check first. <see cref="Exception.InnerException"/> holds the
/// cause (a socket error, a timeout, or an <see cref="System.IO.InvalidDataException"/> for a protocol violation).
/// </summary>
public sealed class ConnectionLossException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionLossException(string? message = null, Exception? innerException = null)
        : base(ZooKeeperErrorCode.ConnectionLoss, null, message ?? "The connection to ZooKeeper was lost.", innerException)
    {
    }
}
