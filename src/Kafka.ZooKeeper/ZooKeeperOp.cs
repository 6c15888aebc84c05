namespace Kafka.ZooKeeper;

/// <summary>
/// One operation of a <see cref="ZooKeeperClient.MultiAsync"/> transaction. Build them with the static methods;
/// the data is copied when the transaction is sent.
/// </summary>
public sealed class ZooKeeperOp
{
    private ZooKeeperOp(ZooKeeperOpType type, string path, ReadOnlyMemory<byte> data, int version, CreateMode mode)
    {
        ArgumentNullException.ThrowIfNull(path);
        Type = type;
        Path = path;
        Data = data;
        Version = version;
        Mode = mode;
    }

    /// <summary>The kind of operation.</summary>
    public ZooKeeperOpType Type { get; }

    /// <summary>The node's path, relative to the client's chroot.</summary>
    public string Path { get; }

    /// <summary>The data of a create or set; empty otherwise.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The expected version of a delete, set or check (-1 matches any version); -1 for a create.</summary>
    public int Version { get; }

    /// <summary>The mode of a create; <see cref="CreateMode.Persistent"/> otherwise.</summary>
    public CreateMode Mode { get; }

    /// <summary>Creates a node (open ACL, as <see cref="ZooKeeperClient.CreateAsync(string, ReadOnlyMemory{byte}, CreateMode, CancellationToken)"/>).</summary>
    public static ZooKeeperOp Create(string path, ReadOnlyMemory<byte> data = default, CreateMode mode = CreateMode.Persistent) =>
        new(ZooKeeperOpType.Create, path, data, -1, mode);

    /// <summary>Deletes a node if its version is <paramref name="version"/> (-1: any version).</summary>
    public static ZooKeeperOp Delete(string path, int version = -1) =>
        new(ZooKeeperOpType.Delete, path, default, version, CreateMode.Persistent);

    /// <summary>Sets a node's data if its version is <paramref name="version"/> (-1: any version).</summary>
    public static ZooKeeperOp SetData(string path, ReadOnlyMemory<byte> data, int version = -1) =>
        new(ZooKeeperOpType.SetData, path, data, version, CreateMode.Persistent);

    /// <summary>Fails the transaction unless the node exists with version <paramref name="version"/> (-1: any version).</summary>
    public static ZooKeeperOp Check(string path, int version) =>
        new(ZooKeeperOpType.Check, path, default, version, CreateMode.Persistent);
}
