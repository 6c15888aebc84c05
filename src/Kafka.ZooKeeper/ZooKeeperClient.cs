using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Kafka.ZooKeeper.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kafka.ZooKeeper;

/// <summary>
/// A ZooKeeper client: one session, kept alive over a connection to one server of the ensemble at a time.
/// </summary>
/// <remarks>
/// <para>
/// The client connects on <see cref="ConnectAsync"/> (or on its first operation), pings the server, and on a lost
/// connection moves to <see cref="ZooKeeperState.Disconnected"/> and reconnects to the servers in turn, resuming
/// the same session: its ephemeral nodes and its watches survive. Operations that were in flight when the
/// connection dropped fail with <see cref="ConnectionLossException"/>; operations started while disconnected wait
/// for the next connection (up to <see cref="ZooKeeperClientOptions.ConnectTimeout"/>). When the session expires
/// the client moves to <see cref="ZooKeeperState.Expired"/> for good: every operation fails with
/// <see cref="SessionExpiredException"/>, and a new client is needed.
/// </para>
/// <para>
/// Watches are one-shot callbacks passed to <see cref="ExistsAsync(string, Action{WatchedEvent}, CancellationToken)"/>,
/// <see cref="GetDataAsync(string, Action{WatchedEvent}, CancellationToken)"/> and
/// <see cref="GetChildrenAsync(string, Action{WatchedEvent}, CancellationToken)"/>. Each callback runs exactly
/// once: with the node event, or with a <see cref="WatchedEventType.None"/> event when the session ends first.
/// Callbacks, <see cref="StateChanged"/> handlers and the completion of operations all run in order on one event
/// loop, so a watch callback runs before the result of any read issued after the change it reports. Keep
/// callbacks short and never block them on another operation of the same client.
/// To await a watch instead, complete a task from the callback:
/// <code>
/// var changed = new TaskCompletionSource&lt;WatchedEvent&gt;(TaskCreationOptions.RunContinuationsAsynchronously);
/// var data = await client.GetDataAsync("/config", changed.SetResult, cancellationToken);
/// WatchedEvent e = await changed.Task;
/// </code>
/// </para>
/// <para>All members are thread-safe. Paths are relative to the chroot of the connect string.</para>
/// </remarks>
public sealed class ZooKeeperClient : IAsyncDisposable
{
    private static readonly TimeSpan DisposeCloseTimeout = TimeSpan.FromSeconds(3);

    private readonly SessionEngine _engine;
    private readonly ILogger _logger;

    /// <summary>Creates a client; it does not connect until <see cref="ConnectAsync"/> or the first operation.</summary>
    /// <param name="options">The settings; read once, here.</param>
    /// <param name="loggerFactory">Where the client logs; none by default.</param>
    /// <param name="timeProvider">The clock of pings, timeouts and reconnect pauses; the system clock by default.</param>
    /// <exception cref="ArgumentException">The connect string or a timeout is invalid.</exception>
    public ZooKeeperClient(ZooKeeperClientOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.SessionTimeout <= TimeSpan.Zero || options.SessionTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentException($"The session timeout must be positive and below {int.MaxValue} ms.", nameof(options));
        }
        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("The connect timeout must be positive.", nameof(options));
        }
        if (options.MaxFrameLength < 1024)
        {
            throw new ArgumentException("The maximum frame length must be at least 1024 bytes.", nameof(options));
        }
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ZooKeeperClient>();
        _engine = new SessionEngine(options, _logger, timeProvider ?? TimeProvider.System, RaiseStateChanged);
    }

    /// <summary>
    /// Raised on every state change, on the client's event loop (in order with watch callbacks). A handler that
    /// throws is logged and does not affect the client.
    /// </summary>
    public event EventHandler<ZooKeeperStateChangedEventArgs>? StateChanged;

    /// <summary>The current state.</summary>
    public ZooKeeperState State => _engine.State;

    /// <summary>The session id the server gave; 0 before the first connection.</summary>
    public long SessionId => _engine.SessionId;

    /// <summary>
    /// The session timeout the server granted (it clamps the requested
    /// <see cref="ZooKeeperClientOptions.SessionTimeout"/> to its range); the requested value before the first
    /// connection.
    /// </summary>
    public TimeSpan SessionTimeout => _engine.SessionTimeout;

    /// <summary>The server ("host:port") the client is connected to; null when not connected.</summary>
    public string? ConnectedServer => _engine.ConnectedServer;

    internal SessionEngine Engine => _engine;

    /// <summary>
    /// Yields the current state, then every state change, in order. The sequence ends after
    /// <see cref="ZooKeeperState.Expired"/> or <see cref="ZooKeeperState.Closed"/>, or when
    /// <paramref name="cancellationToken"/> fires.
    /// </summary>
    public async IAsyncEnumerable<ZooKeeperState> StateChangesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<ZooKeeperState>(new UnboundedChannelOptions { SingleReader = true });
        _engine.Subscribe(channel);
        try
        {
            await foreach (var state in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return state;
            }
        }
        finally
        {
            _engine.Unsubscribe(channel);
        }
    }

    /// <summary>
    /// Connects (if not yet started) and waits until the client is connected with a live session; returns at
    /// once when it already is.
    /// </summary>
    /// <exception cref="ConnectionLossException">No server gave a session within <see cref="ZooKeeperClientOptions.ConnectTimeout"/>; the message names the servers and the last error.</exception>
    /// <exception cref="SessionExpiredException">The session has expired.</exception>
    /// <exception cref="ObjectDisposedException">The client was closed.</exception>
    public Task ConnectAsync(CancellationToken cancellationToken = default) => _engine.WaitConnectedAsync(cancellationToken);

    /// <summary>
    /// Creates a node with the open ACL (world:anyone, all permissions) and returns its actual path, which for a
    /// sequential mode ends with the ten-digit suffix the server appended.
    /// </summary>
    /// <param name="path">The node's path; for a sequential mode, the prefix of its name (it may end with '/').</param>
    /// <param name="data">The node's data (copied before the call returns).</param>
    /// <param name="mode">Persistent or ephemeral, sequential or not.</param>
    /// <param name="cancellationToken">Abandons the wait; a request already sent may still take effect.</param>
    /// <exception cref="NodeExistsException">The node exists.</exception>
    /// <exception cref="NoNodeException">The parent does not exist.</exception>
    /// <exception cref="ZooKeeperException">Another ZooKeeper error (e.g. <see cref="ZooKeeperErrorCode.NoChildrenForEphemerals"/>).</exception>
    public Task<string> CreateAsync(
        string path, ReadOnlyMemory<byte> data = default, CreateMode mode = CreateMode.Persistent, CancellationToken cancellationToken = default)
    {
        var sequential = mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential;
        ZooKeeperPath.Validate(path, nameof(path), sequential);
        if (mode is < CreateMode.Persistent or > CreateMode.EphemeralSequential)
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unsupported create mode.");
        }
        return _engine.Submit(new CreateRequest(path, data, mode), cancellationToken);
    }

    /// <summary>
    /// Makes sure <paramref name="path"/> exists, creating it and any missing ancestor as empty persistent nodes.
    /// Nodes that already exist (or that another client creates meanwhile) are left as they are.
    /// </summary>
    public async Task EnsurePathAsync(string path, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path, nameof(path));
        if (path.Length == 1 || await ExistsAsync(path, cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }
        var next = 1;
        while (next > 0)
        {
            var slash = path.IndexOf('/', next);
            var prefix = slash < 0 ? path : path[..slash];
            try
            {
                await CreateAsync(prefix, default, CreateMode.Persistent, cancellationToken).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
                // Already there: go on with the next level.
            }
            next = slash < 0 ? -1 : slash + 1;
        }
    }

    /// <summary>Deletes a node if its version is <paramref name="version"/> (-1: any version).</summary>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    /// <exception cref="BadVersionException">The node's version is not <paramref name="version"/>.</exception>
    /// <exception cref="NotEmptyException">The node has children.</exception>
    public Task DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path, nameof(path));
        return _engine.Submit(new DeleteRequest(path, version), cancellationToken);
    }

    /// <summary>Returns the node's metadata, or null when it does not exist.</summary>
    public Task<Stat?> ExistsAsync(string path, CancellationToken cancellationToken = default) =>
        ExistsCoreAsync(path, null, cancellationToken);

    /// <summary>
    /// Returns the node's metadata, or null when it does not exist, and sets a one-shot watch either way:
    /// <paramref name="watcher"/> runs once, when the node is created, changed or deleted (or the session ends).
    /// </summary>
    public Task<Stat?> ExistsAsync(string path, Action<WatchedEvent> watcher, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return ExistsCoreAsync(path, watcher, cancellationToken);
    }

    /// <summary>Returns the node's data and metadata.</summary>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    public Task<DataResult> GetDataAsync(string path, CancellationToken cancellationToken = default) =>
        GetDataCoreAsync(path, null, cancellationToken);

    /// <summary>
    /// Returns the node's data and metadata and sets a one-shot watch: <paramref name="watcher"/> runs once, when
    /// the node's data is set or the node is deleted (or the session ends). No watch is set if the node does not exist.
    /// </summary>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    public Task<DataResult> GetDataAsync(string path, Action<WatchedEvent> watcher, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return GetDataCoreAsync(path, watcher, cancellationToken);
    }

    /// <summary>Sets a node's data if its version is <paramref name="version"/> (-1: any version); returns its new metadata.</summary>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    /// <exception cref="BadVersionException">The node's version is not <paramref name="version"/>.</exception>
    public Task<Stat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int version = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPath.Validate(path, nameof(path));
        return _engine.Submit(new SetDataRequest(path, data, version), cancellationToken);
    }

    /// <summary>Returns the names of the node's children and the node's metadata.</summary>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    public Task<ChildrenResult> GetChildrenAsync(string path, CancellationToken cancellationToken = default) =>
        GetChildrenCoreAsync(path, null, cancellationToken);

    /// <summary>
    /// Returns the names of the node's children and the node's metadata, and sets a one-shot watch:
    /// <paramref name="watcher"/> runs once, when a child is created or deleted or the node is deleted (or the
    /// session ends). No watch is set if the node does not exist.
    /// </summary>
    /// <exception cref="NoNodeException">The node does not exist.</exception>
    public Task<ChildrenResult> GetChildrenAsync(string path, Action<WatchedEvent> watcher, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        return GetChildrenCoreAsync(path, watcher, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="operations"/> as one transaction: all of them are applied, or none. Returns one result
    /// per operation, in order.
    /// </summary>
    /// <exception cref="ZooKeeperException">
    /// The transaction failed and nothing was applied: the exception is the one of the first operation that failed
    /// (e.g. <see cref="NodeExistsException"/>), with that operation's <see cref="ZooKeeperException.Path"/> and
    /// <see cref="ZooKeeperException.FailedOperationIndex"/>.
    /// </exception>
    public Task<IReadOnlyList<ZooKeeperOpResult>> MultiAsync(IReadOnlyList<ZooKeeperOp> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<ZooKeeperOpResult>>([]);
        }
        for (var i = 0; i < operations.Count; i++)
        {
            var op = operations[i] ?? throw new ArgumentException($"Operation {i} is null.", nameof(operations));
            var sequential = op.Type == ZooKeeperOpType.Create
                && op.Mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential;
            ZooKeeperPath.Validate(op.Path, nameof(operations), sequential);
        }
        return _engine.Submit(new MultiRequest(operations), cancellationToken);
    }

    /// <summary>
    /// Ends the session (the server deletes its ephemeral nodes) after the operations already started are
    /// answered, then stops the client: watches get a <see cref="ZooKeeperState.Closed"/> event and later operations
    /// throw <see cref="ObjectDisposedException"/>. When not connected, the server expires the session later.
    /// Safe to call more than once.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the server to confirm the close; the client stops anyway.</param>
    public Task CloseAsync(CancellationToken cancellationToken = default) => _engine.CloseAsync(cancellationToken);

    /// <summary>Closes the client as <see cref="CloseAsync"/> does, waiting at most a few seconds for the server. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(DisposeCloseTimeout);
        await _engine.CloseAsync(timeout.Token).ConfigureAwait(false);
    }

    private Task<Stat?> ExistsCoreAsync(string path, Action<WatchedEvent>? watcher, CancellationToken cancellationToken)
    {
        ZooKeeperPath.Validate(path, nameof(path));
        return _engine.Submit(new ExistsRequest(path) { Watcher = watcher }, cancellationToken);
    }

    private Task<DataResult> GetDataCoreAsync(string path, Action<WatchedEvent>? watcher, CancellationToken cancellationToken)
    {
        ZooKeeperPath.Validate(path, nameof(path));
        return _engine.Submit(new GetDataRequest(path) { Watcher = watcher }, cancellationToken);
    }

    private Task<ChildrenResult> GetChildrenCoreAsync(string path, Action<WatchedEvent>? watcher, CancellationToken cancellationToken)
    {
        ZooKeeperPath.Validate(path, nameof(path));
        return _engine.Submit(new GetChildrenRequest(path) { Watcher = watcher }, cancellationToken);
    }

    private void RaiseStateChanged(ZooKeeperStateChangedEventArgs args)
    {
        var handlers = StateChanged;
        if (handlers is null)
        {
            return;
        }
        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<ZooKeeperStateChangedEventArgs>)handler)(this, args);
            }
#pragma warning disable CA1031 // A handler's failure must not reach the client's event loop.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _logger.StateHandlerFailed(ex);
            }
        }
    }
}
