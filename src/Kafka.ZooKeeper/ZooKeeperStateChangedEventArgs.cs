namespace Kafka.ZooKeeper;

/// <summary>The data of <see cref="ZooKeeperClient.StateChanged"/>.</summary>
public sealed class ZooKeeperStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public ZooKeeperStateChangedEventArgs(ZooKeeperState previousState, ZooKeeperState state)
    {
        PreviousState = previousState;
        State = state;
    }

    /// <summary>The state before the change.</summary>
    public ZooKeeperState PreviousState { get; }

    /// <summary>The new state.</summary>
    public ZooKeeperState State { get; }
}
