namespace Kafka.ZooKeeper;

/// <summary>The result of one operation of a committed <see cref="ZooKeeperClient.MultiAsync"/> transaction.</summary>
public sealed class ZooKeeperOpResult
{
    /// <summary>Creates a result.</summary>
    public ZooKeeperOpResult(ZooKeeperOpType type, string? path, Stat? stat)
    {
        Type = type;
        Path = path;
        Stat = stat;
    }

    /// <summary>The kind of operation.</summary>
    public ZooKeeperOpType Type { get; }

    /// <summary>For a create: the path of the created node (with its sequential suffix, if any); null otherwise.</summary>
    public string? Path { get; }

    /// <summary>For a set: the node's metadata after the set; null otherwise.</summary>
    public Stat? Stat { get; }
}
