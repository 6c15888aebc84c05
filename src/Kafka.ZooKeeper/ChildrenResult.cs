namespace Kafka.ZooKeeper;

/// <summary>The result of <see cref="ZooKeeperClient.GetChildrenAsync(string, CancellationToken)"/>: a node's children and metadata.</summary>
public sealed class ChildrenResult
{
    /// <summary>Creates a result.</summary>
    public ChildrenResult(IReadOnlyList<string> children, Stat stat)
    {
        ArgumentNullException.ThrowIfNull(children);
        ArgumentNullException.ThrowIfNull(stat);
        Children = children;
        Stat = stat;
    }

    /// <summary>The names (not paths) of the children, in the server's order, which is unspecified.</summary>
    public IReadOnlyList<string> Children { get; }

    /// <summary>The parent node's metadata at the time it was read.</summary>
    public Stat Stat { get; }
}
