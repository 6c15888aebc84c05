namespace Kafka.ZooKeeper;

/// <summary>What happened to a watched node (ZooKeeper's <c>EventType</c>).</summary>
public enum WatchedEventType
{
    /// <summary>
    /// No node event: the session ended (see <see cref="WatchedEvent.State"/>, <see cref="ZooKeeperState.Expired"/>
    /// or <see cref="ZooKeeperState.Closed"/>) before the watch fired, so it never will.
    /// </summary>
    None = -1,

    /// <summary>The node was created (an exists watch on a missing node).</summary>
    NodeCreated = 1,

    /// <summary>The node was deleted (a data, exists or children watch).</summary>
    NodeDeleted = 2,

    /// <summary>The node's data was set (a data or exists watch).</summary>
    NodeDataChanged = 3,

    /// <summary>A child was created or deleted (a children watch).</summary>
    NodeChildrenChanged = 4,
}
