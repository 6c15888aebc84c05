namespace Kafka.ZooKeeper;

/// <summary>How a node is created (the wire flags of a create request).</summary>
public enum CreateMode
{
    /// <summary>The node lives until it is deleted.</summary>
    Persistent = 0,

    /// <summary>The node is deleted when the session that created it ends; it cannot have children.</summary>
    Ephemeral = 1,

    /// <summary>
    /// A persistent node whose name gets a ten-digit, zero-padded suffix taken from the parent's child version
    /// ("/queue/item-" becomes "/queue/item-0000000007").
    /// </summary>
    PersistentSequential = 2,

    /// <summary>An ephemeral node with a sequential suffix, as for <see cref="PersistentSequential"/>.</summary>
    EphemeralSequential = 3,
}
