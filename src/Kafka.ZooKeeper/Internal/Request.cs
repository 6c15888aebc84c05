using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kafka.ZooKeeper.Internal;

/// <summary>What a reply needs from the session: the chroot to strip and the registry to add watches to.</summary>
internal sealed class RequestContext(string? chroot, WatchRegistry watches)
{
    public string? Chroot { get; } = chroot;

    public WatchRegistry Watches { get; } = watches;
}

/// <summary>
/// One request: its encoded frame (rented, returned once written) and its completion. A request is queued, then
/// either sent (and answered, or failed by a lost connection) or abandoned (cancelled or timed out before it was
/// sent); whoever takes it off the outgoing queue returns its frame.
/// </summary>
internal abstract class Request : DispatchItem
{
    private const int StateQueued = 0;
    private const int StateSent = 1;
    private const int StateAbandoned = 2;

    private byte[]? _frame;
    private int _frameLength;
    private int _state;

    protected Request(int opCode, string? path)
    {
        OpCode = opCode;
        Path = path;
    }

    public int OpCode { get; }

    /// <summary>The client path the request is about (for errors and watches); null for multi and session requests.</summary>
    public string? Path { get; }

    public int Xid { get; private set; }

    public Action<WatchedEvent>? Watcher { get; init; }

    public abstract bool IsCompleted { get; }

    /// <summary>Encodes the whole frame (length, xid placeholder, opcode, body) into a pooled buffer.</summary>
    public void Encode(string? chroot)
    {
        var writer = new JuteWriter(256);
        try
        {
            writer.WriteInt32(0);
            writer.WriteInt32(0);
            writer.WriteInt32(OpCode);
            WriteBody(ref writer, chroot);
            writer.PatchInt32(0, writer.Position - 4);
            _frame = writer.Detach(out _frameLength);
        }
        finally
        {
            writer.Dispose();
        }
    }

    public int FrameLength => _frameLength;

    /// <summary>Stamps the xid into the frame and returns it, ready to write.</summary>
    public ReadOnlyMemory<byte> StampXid(int xid)
    {
        var frame = _frame ?? throw new InvalidOperationException("The request has no frame.");
        Xid = xid;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4, 4), xid);
        return frame.AsMemory(0, _frameLength);
    }

    public bool TryMarkSent() => Interlocked.CompareExchange(ref _state, StateSent, StateQueued) == StateQueued;

    public bool TryAbandon() => Interlocked.CompareExchange(ref _state, StateAbandoned, StateQueued) == StateQueued;

    public void ReleaseFrame()
    {
        var frame = Interlocked.Exchange(ref _frame, null);
        if (frame is not null)
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Reads the reply (on the connection's reader) and settles the request.</summary>
    public abstract void Complete(ref JuteReader reader, int err, RequestContext context);

    /// <summary>Settles the request with an error.</summary>
    public abstract void Fail(Exception exception);

    /// <summary>Lets go of an abandoned request that was taken off the queue unsent.</summary>
    public abstract void Discard();

    protected abstract void WriteBody(ref JuteWriter writer, string? chroot);

    protected static void WriteOpenAcl(ref JuteWriter writer)
    {
        writer.WriteInt32(1);
        writer.WriteInt32(Jute.PermsAll);
        writer.WriteString("world");
        writer.WriteString("anyone");
    }
}

/// <summary>A request whose result is a <typeparamref name="T"/>.</summary>
internal abstract class Request<T> : Request
{
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private EventDispatcher? _dispatcher;
    private T? _result;
    private Exception? _error;
    private int _settled;
    private CancellationTokenRegistration _cancellation;
    private ITimer? _connectTimer;

    protected Request(int opCode, string? path) : base(opCode, path)
    {
    }

    public Task<T> Task => _completion.Task;

    public override bool IsCompleted => _completion.Task.IsCompleted;

    /// <summary>Routes the completion through <paramref name="dispatcher"/> and lets <paramref name="cancellationToken"/> abandon the request.</summary>
    public void Attach(EventDispatcher dispatcher, CancellationToken cancellationToken)
    {
        _dispatcher = dispatcher;
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(
                static (state, token) => ((Request<T>)state!).OnCancelled(token), this);
        }
    }

    /// <summary>Fails the request with a connection loss unless it is sent within <paramref name="timeout"/>.</summary>
    public void ArmConnectTimer(TimeProvider timeProvider, TimeSpan timeout)
    {
        _connectTimer = timeProvider.CreateTimer(
            static state => ((Request<T>)state!).OnConnectTimeout(), this, timeout, Timeout.InfiniteTimeSpan);
        if (IsCompleted)
        {
            _connectTimer.Dispose();
        }
    }

    public sealed override void Complete(ref JuteReader reader, int err, RequestContext context)
    {
        T? result = default;
        Exception? error = null;
        var code = (ZooKeeperErrorCode)err;
        if (code == ZooKeeperErrorCode.Ok)
        {
            try
            {
                result = ReadReply(ref reader, context);
            }
            catch (ZooKeeperException ex)
            {
                error = ex;
            }
        }
        else if (!TryReadError(code, out result))
        {
            error = ZooKeeperException.Create(code, Path);
        }

        // A watch is registered only when the server set it, and not for a caller who has given up.
        if (Watcher is not null && Path is not null && !IsCompleted)
        {
            var kind = WatchKindFor(code);
            if (kind is { } k)
            {
                context.Watches.Add(k, Path, Watcher);
            }
        }
        Settle(result, error);
    }

    public override void Fail(Exception exception) => Settle(default, exception);

    public override void Discard()
    {
        ReleaseFrame();
        _cancellation.Dispose();
        _connectTimer?.Dispose();
    }

    public override void Dispatch(ILogger logger)
    {
        _cancellation.Dispose();
        _connectTimer?.Dispose();
        if (_error is not null)
        {
            _completion.TrySetException(_error);
        }
        else
        {
            _completion.TrySetResult(_result!);
        }
        OnCompleted(logger);
    }

    protected abstract T ReadReply(ref JuteReader reader, RequestContext context);

    /// <summary>Turns an error code into a result (exists: NoNode is null) instead of an exception.</summary>
    protected virtual bool TryReadError(ZooKeeperErrorCode code, out T? result)
    {
        result = default;
        return false;
    }

    protected virtual WatchKind? WatchKindFor(ZooKeeperErrorCode code) => null;

    protected virtual void OnCompleted(ILogger logger)
    {
    }

    private void Settle(T? result, Exception? error)
    {
        if (Interlocked.Exchange(ref _settled, 1) != 0)
        {
            return;
        }
        _result = result;
        _error = error;
        if (_dispatcher is { } dispatcher)
        {
            dispatcher.Post(this);
        }
        else
        {
            Dispatch(NullLogger.Instance);
        }
    }

    private void OnCancelled(CancellationToken token)
    {
        TryAbandon();
        _completion.TrySetCanceled(token);
    }

    private void OnConnectTimeout()
    {
        if (TryAbandon())
        {
            Fail(new ConnectionLossException("Not connected to ZooKeeper within the connect timeout; the operation was not sent."));
        }
    }
}
