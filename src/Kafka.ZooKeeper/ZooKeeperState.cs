namespace Kafka.ZooKeeper;

/// <summary>The state of a <see cref="ZooKeeperClient"/>'s session and connection.</summary>
public enum ZooKeeperState
{
    /// <summary>No session yet: the client has not started, or is opening its first session.</summary>
    Connecting = 0,

    /// <summary>Connected to a server with a live session; operations are sent at once.</summary>
    Connected = 1,

    /// <summary>
    /// The connection was lost but the session may still be alive; the client is reconnecting to the servers in
    /// turn. Ephemeral nodes and watches survive if it reconnects in time.
    /// </summary>
    Disconnected = 2,

    /// <summary>The session has expired (terminal): every operation fails with <see cref="SessionExpiredException"/>.</summary>
    Expired = 3,

    /// <summary>The client was closed or disposed (terminal).</summary>
    Closed = 4,
}
