namespace Kafka.ZooKeeper;

/// <summary>The node already exists (error NodeExists, -110).</summary>
public sealed class NodeExistsException : ZooKeeperException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public NodeExistsException(string? path, string? message = null)
        : base(ZooKeeperErrorCode.NodeExists, path, message)
    {
    }
}
