namespace Kafka.ZooKeeper;

/// <summary>The metadata ZooKeeper keeps for a node (the jute <c>Stat</c> record).</summary>
public sealed class Stat
{
    /// <summary>Creates a stat from its wire fields.</summary>
    public Stat(
        long czxid, long mzxid, long ctime, long mtime, int version, int childVersion, int aclVersion,
        long ephemeralOwner, int dataLength, int childCount, long pzxid)
    {
        Czxid = czxid;
        Mzxid = mzxid;
        CreatedTime = DateTimeOffset.FromUnixTimeMilliseconds(ctime);
        ModifiedTime = DateTimeOffset.FromUnixTimeMilliseconds(mtime);
        Version = version;
        ChildVersion = childVersion;
        AclVersion = aclVersion;
        EphemeralOwner = ephemeralOwner;
        DataLength = dataLength;
        ChildCount = childCount;
        Pzxid = pzxid;
    }

    /// <summary>The transaction id that created the node.</summary>
    public long Czxid { get; }

    /// <summary>The transaction id that last modified the node's data.</summary>
    public long Mzxid { get; }

    /// <summary>The transaction id that last changed the node's children.</summary>
    public long Pzxid { get; }

    /// <summary>When the node was created (server clock).</summary>
    public DateTimeOffset CreatedTime { get; }

    /// <summary>When the node's data was last modified (server clock).</summary>
    public DateTimeOffset ModifiedTime { get; }

    /// <summary>The number of changes to the node's data; pass it to a versioned set or delete.</summary>
    public int Version { get; }

    /// <summary>The number of changes to the node's children (it also numbers sequential children).</summary>
    public int ChildVersion { get; }

    /// <summary>The number of changes to the node's ACL.</summary>
    public int AclVersion { get; }

    /// <summary>The session id that owns the node if it is ephemeral; 0 otherwise.</summary>
    public long EphemeralOwner { get; }

    /// <summary>Whether the node is ephemeral.</summary>
    public bool IsEphemeral => EphemeralOwner != 0;

    /// <summary>The length of the node's data in bytes.</summary>
    public int DataLength { get; }

    /// <summary>The number of children of the node.</summary>
    public int ChildCount { get; }
}
