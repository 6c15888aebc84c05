using Microsoft.Extensions.Logging;

namespace Kafka.ZooKeeper.Internal;

/// <summary>The client's log messages, source-generated.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Connecting to ZooKeeper server {Server}")]
    public static partial void Connecting(this ILogger logger, ServerAddress server);

    [LoggerMessage(2, LogLevel.Information, "Connected to ZooKeeper server {Server}: session 0x{SessionId:x}, timeout {TimeoutMs} ms, resumed {Resumed}")]
    public static partial void Connected(this ILogger logger, ServerAddress server, long sessionId, int timeoutMs, bool resumed);

    [LoggerMessage(3, LogLevel.Information, "Could not connect to ZooKeeper server {Server}: {Reason}")]
    public static partial void ConnectFailed(this ILogger logger, ServerAddress server, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Lost the connection to ZooKeeper server {Server}: {Reason}")]
    public static partial void ConnectionLost(this ILogger logger, ServerAddress server, string reason);

    [LoggerMessage(5, LogLevel.Warning, "ZooKeeper session 0x{SessionId:x} expired ({How})")]
    public static partial void SessionExpired(this ILogger logger, long sessionId, string how);

    [LoggerMessage(6, LogLevel.Information, "ZooKeeper session 0x{SessionId:x} closed")]
    public static partial void SessionClosed(this ILogger logger, long sessionId);

    [LoggerMessage(7, LogLevel.Error, "A ZooKeeper watch callback for {Path} threw")]
    public static partial void WatcherFailed(this ILogger logger, string path, Exception exception);

    [LoggerMessage(8, LogLevel.Error, "A ZooKeeper StateChanged handler threw")]
    public static partial void StateHandlerFailed(this ILogger logger, Exception exception);

    [LoggerMessage(9, LogLevel.Warning, "The ZooKeeper event loop did not finish within {TimeoutMs} ms; a callback may be blocking it")]
    public static partial void DispatcherStuck(this ILogger logger, int timeoutMs);

    [LoggerMessage(10, LogLevel.Debug, "Re-registering {Count} ZooKeeper watches from zxid 0x{Zxid:x}")]
    public static partial void SettingWatches(this ILogger logger, int count, long zxid);

    [LoggerMessage(11, LogLevel.Warning, "ZooKeeper refused to re-register watches: {Code}")]
    public static partial void SetWatchesFailed(this ILogger logger, ZooKeeperErrorCode code);

    [LoggerMessage(12, LogLevel.Information, "Could not close ZooKeeper session 0x{SessionId:x} cleanly; the server will expire it: {Reason}")]
    public static partial void CloseSessionFailed(this ILogger logger, long sessionId, string reason);

    [LoggerMessage(13, LogLevel.Error, "The ZooKeeper {Loop} loop failed; it carries on")]
    public static partial void LoopFailed(this ILogger logger, string loop, Exception exception);

    [LoggerMessage(14, LogLevel.Information, "ZooKeeper server {Server} refused to resume session 0x{SessionId:x}: it has expired")]
    public static partial void ServerReportedExpiry(this ILogger logger, ServerAddress server, long sessionId);
}
