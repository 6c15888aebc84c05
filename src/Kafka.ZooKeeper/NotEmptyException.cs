namespace Kafka.ZooKeeper;

/// <summary>The node has children and cannot be deleted (error NotEmpty, -111).</summary>
public sealed class NotEmptyException : ZooKeeperException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    public NotEmptyException(string? path, string? message = null)
        : base(ZooKeeperErrorCode.NotEmpty, path, message)
    {
    }
}
