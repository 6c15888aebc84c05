namespace Kafka.ZooKeeper;

/// <summary>The one notification a watch delivers.</summary>
public sealed class WatchedEvent
{
    /// <summary>Creates an event.</summary>
    public WatchedEvent(WatchedEventType type, ZooKeeperState state, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Type = type;
        State = state;
        Path = path;
    }

    /// <summary>What happened to the node, or <see cref="WatchedEventType.None"/> when the session ended first.</summary>
    public WatchedEventType Type { get; }

    /// <summary>
    /// <see cref="ZooKeeperState.Connected"/> for node events; <see cref="ZooKeeperState.Expired"/> or
    /// <see cref="ZooKeeperState.Closed"/> when the session ended before the watch fired.
    /// </summary>
    public ZooKeeperState State { get; }

    /// <summary>The watched path, relative to the client's chroot.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Type} {Path} ({State})";
}
