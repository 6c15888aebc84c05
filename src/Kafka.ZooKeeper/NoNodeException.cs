namespace Kafka.ZooKeeper;

/// <summary>The node does not exist (error NoNode, -101).</summary>
public sealed class NoNodeException : ZooKeeperException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public NoNodeException(string? path, string? message = null)
        : base(ZooKeeperErrorCode.NoNode, path, message)
    {
    }
}
