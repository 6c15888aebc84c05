namespace Kafka.ZooKeeper.Internal;

/// <summary>The three client-side watch tables of ZooKeeper.</summary>
internal enum WatchKind
{
    /// <summary>Set by getData, or by exists on a node that exists.</summary>
    Data,

    /// <summary>Set by exists on a node that does not exist.</summary>
    Exist,

    /// <summary>Set by getChildren.</summary>
    Child,
}
