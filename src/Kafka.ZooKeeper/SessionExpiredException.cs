namespace Kafka.ZooKeeper;

/// <summary>
/// The session has expired (error SessionExpired, -112): the server has dropped it and deleted its ephemeral nodes,
/// or the client was cut off from every server for longer than the session could live. The
/// <see cref="ZooKeeperClient"/> cannot be used again; create a new one, then re-create ephemeral nodes and watches.
/// </summary>
public sealed class SessionExpiredException : ZooKeeperException
{
    /// <summary>Creates the exception.</summary>
    public SessionExpiredException(string? message = null, Exception? innerException = null)
        : base(ZooKeeperErrorCode.SessionExpired, null, message ?? "The ZooKeeper session has expired.", innerException)
    {
    }
}
