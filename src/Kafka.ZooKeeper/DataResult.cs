namespace Kafka.ZooKeeper;

/// <summary>The result of <see cref="ZooKeeperClient.GetDataAsync(string, CancellationToken)"/>: a node's data and metadata.</summary>
public sealed class DataResult
{
    /// <summary>Creates a result.</summary>
    public DataResult(ReadOnlyMemory<byte> data, Stat stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        Data = data;
        Stat = stat;
    }

    /// <summary>The node's data; empty when the node has none (ZooKeeper's null data reads as empty).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The node's metadata at the time it was read.</summary>
    public Stat Stat { get; }
}
