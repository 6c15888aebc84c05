namespace Kafka.ZooKeeper;

/// <summary>
/// The error codes of the ZooKeeper wire protocol (the <c>err</c> field of a reply header). Codes above -100
/// are system errors; codes from -100 down are API errors about the request itself.
/// </summary>
public enum ZooKeeperErrorCode
{
    /// <summary>No error.</summary>
    Ok = 0,

    /// <summary>An unexpected error on the server.</summary>
    SystemError = -1,

    /// <summary>The server found its state inconsistent; in a failed transaction, the operations after the one that failed.</summary>
    RuntimeInconsistency = -2,

    /// <summary>The server found its data inconsistent.</summary>
    DataInconsistency = -3,

    /// <summary>The connection to the server was lost; whether an operation in flight took effect is unknown.</summary>
    ConnectionLoss = -4,

    /// <summary>A record could not be serialized or deserialized.</summary>
    MarshallingError = -5,

    /// <summary>The operation is not implemented by the server.</summary>
    Unimplemented = -6,

    /// <summary>The operation timed out.</summary>
    OperationTimeout = -7,

    /// <summary>The arguments of the operation are invalid.</summary>
    BadArguments = -8,

    /// <summary>The session is not known to the server.</summary>
    UnknownSession = -12,

    /// <summary>A reconfiguration found no quorum for the new configuration.</summary>
    NewConfigNoQuorum = -13,

    /// <summary>A reconfiguration is already in progress.</summary>
    ReconfigInProgress = -14,

    /// <summary>A generic API error.</summary>
    ApiError = -100,

    /// <summary>The node does not exist.</summary>
    NoNode = -101,

    /// <summary>The session is not authorized for the operation on the node.</summary>
    NoAuth = -102,

    /// <summary>The version given does not match the node's version.</summary>
    BadVersion = -103,

    /// <summary>Ephemeral nodes cannot have children.</summary>
    NoChildrenForEphemerals = -108,

    /// <summary>The node already exists.</summary>
    NodeExists = -110,

    /// <summary>The node has children and cannot be deleted.</summary>
    NotEmpty = -111,

    /// <summary>The session has expired; the client must open a new session.</summary>
    SessionExpired = -112,

    /// <summary>An invalid callback was given.</summary>
    InvalidCallback = -113,

    /// <summary>The ACL is invalid.</summary>
    InvalidAcl = -114,

    /// <summary>Authentication failed.</summary>
    AuthFailed = -115,

    /// <summary>The session moved to another server.</summary>
    SessionMoved = -118,

    /// <summary>A write was sent to a read-only server.</summary>
    NotReadOnly = -119,

    /// <summary>An ephemeral node was created on a local session.</summary>
    EphemeralOnLocalSession = -120,

    /// <summary>The watch to remove does not exist.</summary>
    NoWatcher = -121,

    /// <summary>The request timed out.</summary>
    RequestTimeout = -122,

    /// <summary>Dynamic reconfiguration is disabled.</summary>
    ReconfigDisabled = -123,

    /// <summary>The session was closed because SASL authentication is required.</summary>
    SessionClosedRequireSaslAuth = -124,

    /// <summary>A quota was exceeded.</summary>
    QuotaExceeded = -125,

    /// <summary>The server throttled the operation.</summary>
    ThrottledOp = -127,
}
