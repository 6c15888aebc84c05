namespace Kafka.ZooKeeper;

/// <summary>The settings of a <see cref="ZooKeeperClient"/>. A plain object, so it binds from configuration.</summary>
public sealed class ZooKeeperClientOptions
{
    /// <summary>The largest frame ZooKeeper's own client accepts by default (its <c>jute.maxbuffer</c>, 0xfffff).</summary>
    public const int JuteMaxBuffer = 0xFFFFF;

    /// <summary>
    /// The servers and optional chroot: <c>"host1:2181,host2:2181/kafka"</c>. A missing port means 2181; IPv6
    /// addresses are written in brackets (<c>"[::1]:2181"</c>). Everything from the first <c>/</c> on is the chroot:
    /// every path the client sends is taken relative to it, and the chroot node itself must exist. The servers are
    /// tried in a random order, then in turn. Default: <c>"127.0.0.1:2181"</c>.
    /// </summary>
    public string ConnectString { get; set; } = "127.0.0.1:2181";

    /// <summary>
    /// The session timeout to ask for. The server clamps it to its own range (by default 2 to 20 ticks, 4 s to 40 s
    /// with the usual 2 s tick); the value in force is <see cref="ZooKeeperClient.SessionTimeout"/>. The client pings
    /// after a third of it without sending, drops a connection that has been silent for two thirds of it, and
    /// considers the session expired after four thirds of it without reaching any server. Default: 6 s, the
    /// ZooKeeper session timeout of pykafka and of older Kafka brokers.
    /// </summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>
    /// How long <see cref="ZooKeeperClient.ConnectAsync"/>, and an operation started while the client is not
    /// connected, wait for a connection before failing with <see cref="ConnectionLossException"/>. Default: 15 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The largest frame accepted from a server, in bytes; a longer (or negative) length is a protocol error that
    /// closes the connection. Default: <see cref="JuteMaxBuffer"/> plus 1 MiB of slack, room for a reply that
    /// carries a node of the server's maximum size.
    /// </summary>
    public int MaxFrameLength { get; set; } = JuteMaxBuffer + (1024 * 1024);
}
