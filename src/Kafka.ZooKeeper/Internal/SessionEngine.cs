using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Kafka.ZooKeeper.Internal;

/// <summary>
/// The session behind a <see cref="ZooKeeperClient"/>: its state, the outgoing queue, the watches, and the loop
/// that connects to the servers in turn, resumes the session after a loss, and ends it on expiry or close.
/// </summary>
internal sealed class SessionEngine
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan DispatcherStopTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How many handshake attempts, at least, fit in one session timeout.</summary>
    private const int MinAttemptsPerSessionTimeout = 3;

    private readonly ServerAddress[] _servers;
    private readonly string _serverList;
    private readonly string? _chroot;
    private readonly TimeSpan _requestedTimeout;
    private readonly TimeSpan _connectTimeout;
    private readonly int _maxFrameLength;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Action<ZooKeeperStateChangedEventArgs> _raiseStateChanged;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly object _gate = new();
    private readonly List<Channel<ZooKeeperState>> _subscribers = [];

    // Guarded by _gate.
    private ZooKeeperState _state = ZooKeeperState.Connecting;
    private bool _closing;
    private long _sessionId;
    private byte[] _password = new byte[Jute.PasswordLength];
    private int _negotiatedTimeoutMs;
    private Connection? _connection;
    private Task? _runTask;
    private Task? _closeTask;
    private Exception? _lastError;
    private TaskCompletionSource _stateChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private long _lastZxid;
    private long _lastReceive;
    private int _xid;
    private int _nextServer;
    private int _pingReplies;

    public SessionEngine(
        ZooKeeperClientOptions options, ILogger logger, TimeProvider time, Action<ZooKeeperStateChangedEventArgs> raiseStateChanged)
    {
        var connectString = ConnectString.Parse(options.ConnectString, nameof(options));
        var servers = new ServerAddress[connectString.Servers.Count];
        for (var i = 0; i < servers.Length; i++)
        {
            servers[i] = connectString.Servers[i];
        }
        // Shuffled once, then used in turn, so that clients spread over the ensemble.
        Random.Shared.Shuffle(servers);
        _servers = servers;
        _serverList = string.Join(",", connectString.Servers);
        _chroot = connectString.Chroot;
        _requestedTimeout = options.SessionTimeout;
        _connectTimeout = options.ConnectTimeout;
        _maxFrameLength = options.MaxFrameLength;
        _logger = logger;
        _time = time;
        _raiseStateChanged = raiseStateChanged;
        Watches = new WatchRegistry();
        Context = new RequestContext(_chroot, Watches);
        Dispatcher = new EventDispatcher(logger);
    }

    public OutgoingQueue Queue { get; } = new();

    public EventDispatcher Dispatcher { get; }

    public WatchRegistry Watches { get; }

    public RequestContext Context { get; }

    public string? Chroot => _chroot;

    public ZooKeeperState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    public long SessionId
    {
        get
        {
            lock (_gate)
            {
                return _sessionId;
            }
        }
    }

    public TimeSpan SessionTimeout => CurrentTimeout();

    public string? ConnectedServer
    {
        get
        {
            lock (_gate)
            {
                return _connection?.Server.ToString();
            }
        }
    }

    /// <summary>The time stamp (of the <see cref="TimeProvider"/>) of the last frame received.</summary>
    public long LastReceive => Interlocked.Read(ref _lastReceive);

    /// <summary>How many ping replies arrived; lets tests see the keep-alive work.</summary>
    public int PingReplies => Volatile.Read(ref _pingReplies);

    public int NextXid()
    {
        var xid = Interlocked.Increment(ref _xid);
        if (xid <= 0 || xid == int.MaxValue)
        {
            // Normal xids are positive; negative ones are reserved for pings, notifications and auth.
            Interlocked.Exchange(ref _xid, 1);
            xid = 1;
        }
        return xid;
    }

    public void OnReceive() => Interlocked.Exchange(ref _lastReceive, _time.GetTimestamp());

    public void OnPingReply() => Interlocked.Increment(ref _pingReplies);

    public void OnZxid(long zxid)
    {
        // Replies arrive in order, so zxids only grow; keep the largest anyway.
        long current;
        while (zxid > (current = Interlocked.Read(ref _lastZxid))
            && Interlocked.CompareExchange(ref _lastZxid, zxid, current) != current)
        {
        }
    }

    public void OnNotification(int type, string? serverPath)
    {
        if (serverPath is null || type < (int)WatchedEventType.NodeCreated || type > (int)WatchedEventType.NodeChildrenChanged)
        {
            return;
        }
        var path = ZooKeeperPath.ToClient(_chroot, serverPath);
        var eventType = (WatchedEventType)type;
        var watchers = Watches.Take(eventType, path);
        if (watchers.Length > 0)
        {
            Dispatcher.Post(new WatchDelivery(new WatchedEvent(eventType, ZooKeeperState.Connected, path), watchers));
        }
    }

    /// <summary>Queues a request; its task completes with the reply, or fails.</summary>
    public Task<T> Submit<T>(Request<T> request, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }
        request.Encode(_chroot);
        bool connected;
        lock (_gate)
        {
            if (_closing || _state is ZooKeeperState.Closed or ZooKeeperState.Expired)
            {
                request.ReleaseFrame();
                ObjectDisposedException.ThrowIf(_state != ZooKeeperState.Expired, typeof(ZooKeeperClient));
                return Task.FromException<T>(new SessionExpiredException());
            }
            request.Attach(Dispatcher, cancellationToken);
            EnsureStartedLocked();
            connected = _state == ZooKeeperState.Connected;
            Queue.Enqueue(request);
        }
        if (!connected)
        {
            request.ArmConnectTimer(_time, _connectTimeout);
        }
        return request.Task;
    }

    /// <summary>Starts connecting if needed, then waits until connected (or the connect timeout).</summary>
    public async Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_connectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                switch (_state)
                {
                    case ZooKeeperState.Connected:
                        return;
                    case ZooKeeperState.Expired:
                        throw new SessionExpiredException();
                    case ZooKeeperState.Closed:
                        throw new ObjectDisposedException(nameof(ZooKeeperClient));
                    default:
                        break;
                }
                ObjectDisposedException.ThrowIf(_closing, typeof(ZooKeeperClient));
                EnsureStartedLocked();
                changed = _stateChanged.Task;
            }
            try
            {
                await changed.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                Exception? lastError;
                lock (_gate)
                {
                    lastError = _lastError;
                }
                throw new ConnectionLossException(
                    $"Could not connect to ZooKeeper at {_serverList} within {(int)_connectTimeout.TotalMilliseconds} ms"
                    + (lastError is null ? "." : $"; last error: {lastError.Message}"),
                    lastError);
            }
        }
    }

    /// <summary>Registers a reader of state changes; it first receives the current state.</summary>
    public void Subscribe(Channel<ZooKeeperState> channel)
    {
        lock (_gate)
        {
            channel.Writer.TryWrite(_state);
            if (IsTerminal(_state))
            {
                channel.Writer.TryComplete();
                return;
            }
            _subscribers.Add(channel);
        }
    }

    public void Unsubscribe(Channel<ZooKeeperState> channel)
    {
        lock (_gate)
        {
            _subscribers.Remove(channel);
        }
    }

    /// <summary>Ends the session (once; later calls wait for the first) and stops every loop.</summary>
    public Task CloseAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _closeTask ??= Task.Run(() => CloseCoreAsync(cancellationToken), CancellationToken.None);
            return _closeTask;
        }
    }

    private async Task CloseCoreAsync(CancellationToken cancellationToken)
    {
        CloseSessionRequest? close = null;
        long sessionId;
        lock (_gate)
        {
            sessionId = _sessionId;
            if (_state == ZooKeeperState.Connected)
            {
                // Behind whatever is queued, so those requests are answered first.
                close = new CloseSessionRequest();
                close.Encode(_chroot);
                close.Attach(Dispatcher, CancellationToken.None);
                Queue.Enqueue(close);
            }
            _closing = true;
        }

        if (close is not null)
        {
            using var timeout = new CancellationTokenSource(CloseTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            try
            {
                await close.Task.WaitAsync(linked.Token).ConfigureAwait(false);
                _logger.SessionClosed(sessionId);
            }
            catch (Exception ex) when (ex is ZooKeeperException or OperationCanceledException)
            {
                _logger.CloseSessionFailed(sessionId, ex.Message);
            }
        }
        else if (sessionId != 0)
        {
            _logger.CloseSessionFailed(sessionId, "not connected");
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        Task? run;
        lock (_gate)
        {
            run = _runTask;
        }
        if (run is not null)
        {
            await run.ConfigureAwait(false); // Never faults: the loop catches everything.
        }
        EndSession(ZooKeeperState.Closed, new ConnectionLossException("The ZooKeeper client was closed."));
        await Dispatcher.StopAsync(DispatcherStopTimeout).ConfigureAwait(false);
    }

    private void EnsureStartedLocked()
    {
        if (_runTask is null)
        {
            Dispatcher.Start();
            _runTask = Task.Run(RunAsync);
        }
    }

    private async Task RunAsync()
    {
        var shutdown = _shutdown.Token;
        var attempts = 0;
        var failures = 0;
        while (!shutdown.IsCancellationRequested && !IsClosing())
        {
            try
            {
                if (attempts > 0)
                {
                    // As ZooKeeper's client: a random pause before reconnecting (no herd on the next server), and a
                    // longer one after every server has failed in turn. The pause is at most a quarter of the
                    // session timeout, so that short sessions can still be resumed.
                    var delay = TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)Math.Min(1000, CurrentTimeout().TotalMilliseconds / 4)));
                    if (failures > 0 && failures % _servers.Length == 0)
                    {
                        delay += TimeSpan.FromSeconds(1);
                    }
                    var untilExpiry = UntilLocalExpiry();
                    if (untilExpiry < delay)
                    {
                        delay = untilExpiry > TimeSpan.Zero ? untilExpiry : TimeSpan.Zero;
                    }
                    await Task.Delay(delay, _time, shutdown).ConfigureAwait(false);
                }
                attempts++;
                if (UntilLocalExpiry() <= TimeSpan.Zero)
                {
                    Expire("no server reached within four thirds of the session timeout");
                    return;
                }

                var server = _servers[_nextServer++ % _servers.Length];
                var connection = await OpenAsync(server, shutdown).ConfigureAwait(false);
                if (connection is null)
                {
                    Expire($"reported by {server}");
                    return;
                }
                failures = 0;
                var cause = await connection.RunAsync(shutdown).ConfigureAwait(false);
                OnConnectionLost(connection, cause);
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must outlive any failure; it logs it and tries the next server.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failures++;
                lock (_gate)
                {
                    _lastError = ex;
                }
                _logger.ConnectFailed(_servers[(_nextServer - 1 + _servers.Length) % _servers.Length], ex.Message);
            }
        }
    }

    /// <summary>Opens a socket and a session; null when the server reports the session expired.</summary>
    private async Task<Connection?> OpenAsync(ServerAddress server, CancellationToken shutdown)
    {
        long sessionId;
        byte[] password;
        lock (_gate)
        {
            sessionId = _sessionId;
            password = _password;
        }
        var sessionTimeout = CurrentTimeout();
        var lastZxid = Interlocked.Read(ref _lastZxid);

        // Each server gets its share of the session timeout to answer, as in ZooKeeper's own client, but never more
        // than a third of it: a server can accept a connection and never answer it (ZooKeeper 3.8 does so with
        // connections that arrive while it is still starting), and one such connection must not cost the
        // session. No attempt runs past the moment the session would expire.
        var limit = sessionTimeout / Math.Max(_servers.Length, MinAttemptsPerSessionTimeout);
        var untilExpiry = UntilLocalExpiry();
        if (sessionId != 0 && untilExpiry < limit)
        {
            limit = untilExpiry > TimeSpan.FromMilliseconds(1) ? untilExpiry : TimeSpan.FromMilliseconds(1);
        }

        _logger.Connecting(server);
        using var timeout = new CancellationTokenSource(limit, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, timeout.Token);
        var token = linked.Token;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        NetworkStream? stream = null;
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            await stream.WriteAsync(EncodeConnectRequest(lastZxid, (int)_requestedTimeout.TotalMilliseconds, sessionId, password), token)
                .ConfigureAwait(false);

            var lengthBuffer = new byte[4];
            await stream.ReadExactlyAsync(lengthBuffer, token).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadInt32BigEndian(lengthBuffer);
            if (length < Jute.MinConnectResponseLength || length > _maxFrameLength)
            {
                throw new InvalidDataException(
                    $"ZooKeeper server {server} answered the handshake with a frame length of {length}; expected {Jute.MinConnectResponseLength} to {_maxFrameLength}.");
            }
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            int negotiated;
            long newSessionId;
            byte[] newPassword;
            try
            {
                await stream.ReadExactlyAsync(buffer.AsMemory(0, length), token).ConfigureAwait(false);
                (negotiated, newSessionId, newPassword) = DecodeConnectResponse(buffer.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            OnReceive();

            if (negotiated <= 0)
            {
                _logger.ServerReportedExpiry(server, sessionId);
                await stream.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            var resumed = sessionId != 0;
            lock (_gate)
            {
                _sessionId = newSessionId;
                _password = newPassword;
                _negotiatedTimeoutMs = negotiated;
            }
            var connection = new Connection(this, server, stream, TimeSpan.FromMilliseconds(negotiated), _maxFrameLength, _time);

            // Watches go back first, before anything queued, with the last zxid seen: the server fires at once
            // those whose nodes changed while the client was away.
            if (resumed)
            {
                var batches = Watches.SnapshotForReconnect(_chroot);
                foreach (var (data, exist, child) in batches)
                {
                    var setWatches = new SetWatchesRequest(lastZxid, data, exist, child);
                    _logger.SettingWatches(setWatches.Count, lastZxid);
                    setWatches.Encode(null);
                    setWatches.Attach(Dispatcher, CancellationToken.None);
                    await connection.SendDirectAsync(setWatches, token).ConfigureAwait(false);
                }
            }

            StateChange? change;
            lock (_gate)
            {
                if (_closing)
                {
                    throw new OperationCanceledException("The client is closing.");
                }
                _connection = connection;
                change = ChangeStateLocked(ZooKeeperState.Connected);
            }
            Post(change);
            _logger.Connected(server, newSessionId, negotiated, resumed);
            return connection;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !shutdown.IsCancellationRequested)
        {
            await DisposeAsync(stream, socket).ConfigureAwait(false);
            throw new TimeoutException($"ZooKeeper server {server} gave no session within {(int)limit.TotalMilliseconds} ms.");
        }
        catch
        {
            await DisposeAsync(stream, socket).ConfigureAwait(false);
            throw;
        }
    }

    private static async ValueTask DisposeAsync(NetworkStream? stream, Socket socket)
    {
        if (stream is not null)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            socket.Dispose();
        }
    }

    private static byte[] EncodeConnectRequest(long lastZxid, int timeoutMs, long sessionId, byte[] password)
    {
        // ConnectRequest{int protocolVersion; long lastZxidSeen; int timeOut; long sessionId; buffer passwd; boolean readOnly}
        var frame = new byte[4 + 4 + 8 + 4 + 8 + 4 + password.Length + 1];
        var span = frame.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, frame.Length - 4);
        BinaryPrimitives.WriteInt32BigEndian(span[4..], 0);
        BinaryPrimitives.WriteInt64BigEndian(span[8..], lastZxid);
        BinaryPrimitives.WriteInt32BigEndian(span[16..], timeoutMs);
        BinaryPrimitives.WriteInt64BigEndian(span[20..], sessionId);
        BinaryPrimitives.WriteInt32BigEndian(span[28..], password.Length);
        password.CopyTo(span[32..]);
        span[^1] = 0;
        return frame;
    }

    private static (int Timeout, long SessionId, byte[] Password) DecodeConnectResponse(ReadOnlySpan<byte> body)
    {
        // ConnectResponse{int protocolVersion; int timeOut; long sessionId; buffer passwd; [boolean readOnly]}
        var reader = new JuteReader(body);
        reader.ReadInt32();
        var timeout = reader.ReadInt32();
        var sessionId = reader.ReadInt64();
        var password = reader.ReadBuffer();
        return (timeout, sessionId, password);
    }

    private void OnConnectionLost(Connection connection, Exception cause)
    {
        StateChange? change = null;
        List<Request> queued;
        bool closing;
        lock (_gate)
        {
            _connection = null;
            closing = _closing;
            if (!closing && _state == ZooKeeperState.Connected)
            {
                change = ChangeStateLocked(ZooKeeperState.Disconnected);
            }
            _lastError = cause;
            // Requests queued while connected fail with the connection, as in ZooKeeper's client; those queued from
            // here on wait for the next connection.
            queued = Queue.DrainAll();
        }
        var loss = closing
            ? new ConnectionLossException("The ZooKeeper client was closed.", cause)
            : new ConnectionLossException($"Lost the connection to ZooKeeper server {connection.Server}: {cause.Message}", cause);
        Post(change);
        connection.FailPending(loss);
        FailAll(queued, loss);
        if (!closing)
        {
            _logger.ConnectionLost(connection.Server, cause.Message);
        }
    }

    private TimeSpan CurrentTimeout()
    {
        lock (_gate)
        {
            return _negotiatedTimeoutMs > 0 ? TimeSpan.FromMilliseconds(_negotiatedTimeoutMs) : _requestedTimeout;
        }
    }

    private TimeSpan UntilLocalExpiry()
    {
        int timeoutMs;
        lock (_gate)
        {
            if (_sessionId == 0)
            {
                return TimeSpan.MaxValue;
            }
            timeoutMs = _negotiatedTimeoutMs;
        }
        // The server expires a session it has not heard from for its timeout; by four thirds of it without
        // reaching any server, the session is as good as gone (ZooKeeper's own client does the same since 3.9.3).
        return TimeSpan.FromMilliseconds(timeoutMs * 4.0 / 3.0) - _time.GetElapsedTime(LastReceive);
    }

    private void Expire(string how)
    {
        long sessionId;
        lock (_gate)
        {
            if (_closing)
            {
                return;
            }
            sessionId = _sessionId;
        }
        _logger.SessionExpired(sessionId, how);
        EndSession(ZooKeeperState.Expired, new SessionExpiredException());
    }

    /// <summary>Moves to a terminal state: fails what is queued and tells every watch it will not fire.</summary>
    private void EndSession(ZooKeeperState state, Exception failure)
    {
        StateChange? change;
        List<Request> queued;
        lock (_gate)
        {
            change = ChangeStateLocked(state);
            queued = Queue.DrainAll();
        }
        Post(change);
        FailAll(queued, failure);
        var watches = Watches.TakeAll();
        foreach (var (path, watcher) in watches)
        {
            Dispatcher.Post(new WatchDelivery(new WatchedEvent(WatchedEventType.None, state, path), [watcher]));
        }
    }

    private static void FailAll(List<Request> requests, Exception failure)
    {
        foreach (var request in requests)
        {
            if (request.TryAbandon())
            {
                request.Fail(failure);
            }
            request.Discard();
        }
    }

    private bool IsClosing()
    {
        lock (_gate)
        {
            return _closing;
        }
    }

    private StateChange? ChangeStateLocked(ZooKeeperState state)
    {
        var previous = _state;
        if (previous == state)
        {
            return null;
        }
        _state = state;
        foreach (var subscriber in _subscribers)
        {
            subscriber.Writer.TryWrite(state);
            if (IsTerminal(state))
            {
                subscriber.Writer.TryComplete();
            }
        }
        if (IsTerminal(state))
        {
            _subscribers.Clear();
        }
        var changed = _stateChanged;
        _stateChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
        return new StateChange(new ZooKeeperStateChangedEventArgs(previous, state), _raiseStateChanged);
    }

    // Posted outside the lock: if the dispatcher has stopped, the handler runs inline.
    private void Post(StateChange? change)
    {
        if (change is not null)
        {
            Dispatcher.Post(change);
        }
    }

    private static bool IsTerminal(ZooKeeperState state) => state is ZooKeeperState.Expired or ZooKeeperState.Closed;

    private sealed class StateChange(ZooKeeperStateChangedEventArgs args, Action<ZooKeeperStateChangedEventArgs> raise) : DispatchItem
    {
        public override void Dispatch(ILogger logger) => raise(args);
    }
}
