namespace Kafka.ZooKeeper;

/// <summary>
/// The base of every error that ZooKeeper (or the connection to it) reports for an operation. The common codes
/// have their own subclasses (<see cref="NoNodeException"/>, <see cref="NodeExistsException"/>,
/// <see cref="BadVersionException"/>, <see cref="NotEmptyException"/>, <see cref="SessionExpiredException"/>,
/// <see cref="ConnectionLossException"/>); every other code is raised as this type with its <see cref="Code"/>.
/// Misuse of the API (a null argument, a malformed path) raises the ordinary .NET argument exceptions instead.
/// </summary>
public class ZooKeeperException : Exception
{
    /// <summary>Creates an exception for <paramref name="code"/>, about <paramref name="path"/> when known.</summary>
    public ZooKeeperException(ZooKeeperErrorCode code, string? path, string? message = null, Exception? innerException = null)
        : base(message ?? DefaultMessage(code, path), innerException)
    {
        Code = code;
        Path = path;
    }

    /// <summary>The ZooKeeper error code.</summary>
    public ZooKeeperErrorCode Code { get; }

    /// <summary>The path of the node the failed operation was about (relative to the chroot), or null.</summary>
    public string? Path { get; }

    /// <summary>
    /// For a failed <see cref="ZooKeeperClient.MultiAsync"/>: the index of the operation that failed; null otherwise.
    /// </summary>
    public int? FailedOperationIndex { get; internal set; }

    /// <summary>Creates the exception type that matches <paramref name="code"/>.</summary>
    internal static ZooKeeperException Create(ZooKeeperErrorCode code, string? path, string? message = null, Exception? innerException = null) =>
        code switch
        {
            ZooKeeperErrorCode.NoNode => new NoNodeException(path, message),
            ZooKeeperErrorCode.NodeExists => new NodeExistsException(path, message),
            ZooKeeperErrorCode.BadVersion => new BadVersionException(path, message),
            ZooKeeperErrorCode.NotEmpty => new NotEmptyException(path, message),
            ZooKeeperErrorCode.SessionExpired => new SessionExpiredException(message, innerException),
            ZooKeeperErrorCode.ConnectionLoss => new ConnectionLossException(message, innerException),
            _ => new ZooKeeperException(code, path, message, innerException),
        };

    private static string DefaultMessage(ZooKeeperErrorCode code, string? path) =>
        path is null ? $"ZooKeeper error {code} ({(int)code})." : $"ZooKeeper error {code} ({(int)code}) for {path}.";
}
