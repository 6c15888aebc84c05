namespace Kafka.ZooKeeper.Internal;

/// <summary>Operation codes, special xids and fixed values of the ZooKeeper wire protocol.</summary>
internal static class Jute
{
    public const int OpCreate = 1;
    public const int OpDelete = 2;
    public const int OpExists = 3;
    public const int OpGetData = 4;
    public const int OpSetData = 5;
    public const int OpGetChildren2 = 12;
    public const int OpCheck = 13;
    public const int OpMulti = 14;
    public const int OpCreate2 = 15;
    public const int OpPing = 11;
    public const int OpSetWatches = 101;
    public const int OpCloseSession = -11;
    public const int OpError = -1;

    public const int NotificationXid = -1;
    public const int PingXid = -2;
    public const int AuthXid = -4;
    public const int SetWatchesXid = -8;

    public const int ReplyHeaderLength = 16;
    public const int PasswordLength = 16;

    // ConnectResponse without the trailing readOnly byte, as servers up to 3.3 send it.
    public const int MinConnectResponseLength = 4 + 4 + 8 + 4;

    // ACL perms ALL for world:anyone, ZooKeeper's OPEN_ACL_UNSAFE.
    public const int PermsAll = 31;

    // SetWatches batches are cut at about this many bytes of path, as the Java client does.
    public const int SetWatchesBatchBytes = 128 * 1024;

    /// <summary>A ping: length 8, xid -2, opcode 11, no body.</summary>
    public static ReadOnlySpan<byte> PingFrame => [0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 11];
}
