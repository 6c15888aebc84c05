namespace Kafka.ZooKeeper;

/// <summary>The expected version did not match the node's version (error BadVersion, -103).</summary>
public sealed class BadVersionException : ZooKeeperException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public BadVersionException(string? path, string? message = null)
        : base(ZooKeeperErrorCode.BadVersion, path, message)
    {
    }
}
