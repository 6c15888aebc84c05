using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace Kafka.ZooKeeper.Internal;

/// <summary>
/// One TCP connection with an established session: a reader that matches replies to requests strictly in order,
/// a sender that drains the session's outgoing queue, and a keep-alive that pings and notices a silent server.
/// The first of the three to fail ends the connection; its exception is the cause of the loss.
/// </summary>
internal sealed class Connection
{
    private static readonly ReadOnlyMemory<byte> PingFrame = Jute.PingFrame.ToArray();

    private readonly SessionEngine _session;
    private readonly NetworkStream _stream;
    private readonly TimeProvider _time;
    private readonly int _maxFrameLength;
    private readonly object _pendingGate = new();
    private readonly Queue<Request> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private long _lastSend;
    private int _pingRequested;

    public Connection(SessionEngine session, ServerAddress server, NetworkStream stream, TimeSpan sessionTimeout, int maxFrameLength, TimeProvider time)
    {
        _session = session;
        Server = server;
        _stream = stream;
        SessionTimeout = sessionTimeout;
        _maxFrameLength = maxFrameLength;
        _time = time;
        _lastSend = time.GetTimestamp();
    }

    public ServerAddress Server { get; }

    public TimeSpan SessionTimeout { get; }

    /// <summary>Writes a request before the loops start (the handshake's SetWatches), keeping it in the reply order.</summary>
    public async Task SendDirectAsync(Request request, CancellationToken cancellationToken)
    {
        request.TryMarkSent();
        var frame = request.StampXid(_session.NextXid());
        lock (_pendingGate)
        {
            _pending.Enqueue(request);
        }
        try
        {
            await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            request.ReleaseFrame();
        }
        Volatile.Write(ref _lastSend, _time.GetTimestamp());
    }

    /// <summary>Runs the connection until it fails or <paramref name="shutdown"/> fires; returns the cause.</summary>
    public async Task<Exception> RunAsync(CancellationToken shutdown)
    {
        var registration = shutdown.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _stop);
        var token = _stop.Token;
        var reader = Task.Run(() => ReadLoopAsync(token), CancellationToken.None);
        var sender = Task.Run(() => SendLoopAsync(token), CancellationToken.None);
        var keepAlive = Task.Run(() => KeepAliveLoopAsync(token), CancellationToken.None);
        var first = await Task.WhenAny(reader, sender, keepAlive).ConfigureAwait(false);

        await _stop.CancelAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(reader, sender, keepAlive).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The loops end with whatever the closed socket made them throw; the first one's error is the cause.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        // Unregister first: a late shutdown must not cancel a disposed source.
        await registration.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();

        if (first.Exception?.InnerException is { } cause && cause is not OperationCanceledException)
        {
            return cause;
        }
        return shutdown.IsCancellationRequested
            ? new OperationCanceledException("The client was closed.")
            : new IOException("The connection ended.");
    }

    /// <summary>Fails every request that was written but not answered.</summary>
    public void FailPending(Exception exception)
    {
        while (true)
        {
            Request? request;
            lock (_pendingGate)
            {
                if (!_pending.TryDequeue(out request))
                {
                    return;
                }
            }
            request.Fail(exception);
        }
    }

    public void RequestPing()
    {
        Interlocked.Exchange(ref _pingRequested, 1);
        _session.Queue.Ring();
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var lengthBuffer = new byte[4];
        while (true)
        {
            await _stream.ReadExactlyAsync(lengthBuffer, cancellationToken).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadInt32BigEndian(lengthBuffer);
            if (length < Jute.ReplyHeaderLength || length > _maxFrameLength)
            {
                throw new InvalidDataException(
                    $"ZooKeeper server {Server} sent a frame length of {length}; expected {Jute.ReplyHeaderLength} to {_maxFrameLength}.");
            }
            var buffer = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                await _stream.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
                _session.OnReceive();
                HandleFrame(buffer.AsSpan(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private void HandleFrame(ReadOnlySpan<byte> frame)
    {
        var reader = new JuteReader(frame);
        var xid = reader.ReadInt32();
        var zxid = reader.ReadInt64();
        var err = reader.ReadInt32();
        switch (xid)
        {
            case Jute.PingXid:
                _session.OnPingReply();
                return;
            case Jute.NotificationXid:
                var type = reader.ReadInt32();
                reader.ReadInt32(); // KeeperState: always SyncConnected for node events.
                _session.OnNotification(type, reader.ReadString());
                return;
            case Jute.AuthXid:
                return; // Never sent; a stray reply changes nothing.
            default:
                break;
        }

        Request? request;
        lock (_pendingGate)
        {
            _pending.TryDequeue(out request);
        }
        if (request is null)
        {
            throw new InvalidDataException($"ZooKeeper server {Server} sent a reply with xid {xid} when no request was outstanding.");
        }
        if (request.Xid != xid)
        {
            var error = new InvalidDataException($"Xid out of order: ZooKeeper server {Server} answered xid {xid}, expected {request.Xid}.");
            request.Fail(new ConnectionLossException(error.Message, error));
            throw error;
        }
        if (zxid > 0)
        {
            _session.OnZxid(zxid);
        }
        try
        {
            request.Complete(ref reader, err, _session.Context);
        }
        catch (InvalidDataException ex)
        {
            request.Fail(new ConnectionLossException($"ZooKeeper server {Server} sent a malformed reply: {ex.Message}", ex));
            throw;
        }
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        var queue = _session.Queue;
        while (true)
        {
            while (queue.TryDequeue(out var request))
            {
                if (!request.TryMarkSent())
                {
                    request.Discard(); // Cancelled or timed out while queued.
                    continue;
                }
                var frame = request.StampXid(_session.NextXid());
                // Pending before writing: the reply can arrive before WriteAsync returns.
                lock (_pendingGate)
                {
                    _pending.Enqueue(request);
                }
                try
                {
                    await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    request.ReleaseFrame();
                }
                Volatile.Write(ref _lastSend, _time.GetTimestamp());
            }
            if (Interlocked.Exchange(ref _pingRequested, 0) == 1)
            {
                await _stream.WriteAsync(PingFrame, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _lastSend, _time.GetTimestamp());
            }
            await queue.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task KeepAliveLoopAsync(CancellationToken cancellationToken)
    {
        // As ZooKeeper's client: ping after a third of the timeout without sending; give up on a server that has
        // been silent for two thirds of it, leaving a third to reach another server before the session expires.
        var pingInterval = SessionTimeout / 3;
        var readTimeout = SessionTimeout * 2 / 3;
        while (true)
        {
            var now = _time.GetTimestamp();
            var sinceReceive = _time.GetElapsedTime(_session.LastReceive, now);
            if (sinceReceive >= readTimeout)
            {
                throw new TimeoutException(
                    $"ZooKeeper server {Server} sent nothing for {(int)sinceReceive.TotalMilliseconds} ms (limit {(int)readTimeout.TotalMilliseconds} ms).");
            }
            var untilPing = pingInterval - _time.GetElapsedTime(Volatile.Read(ref _lastSend), now);
            if (untilPing <= TimeSpan.Zero)
            {
                RequestPing();
                untilPing = pingInterval;
            }
            var wait = readTimeout - sinceReceive;
            if (untilPing < wait)
            {
                wait = untilPing;
            }
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
