using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using Kafka.Client.Protocol;

namespace Kafka.Client.Internal;

/// <summary>
/// A request written to a connection and waiting for its response frame: the pooled source of the
/// <see cref="ValueTask"/> its caller awaits, so that a request/response exchange allocates no completion object. Two
/// parties own it, the connection (until the read loop or a failure resolves it) and the caller (until it has read the
/// outcome); it returns to its connection's pool when both are done. It resolves once, whichever comes first: the
/// response, a failure, the caller's cancellation. A response that arrives after the caller stopped waiting has its
/// buffer returned to the pool here.
/// </summary>
internal sealed class PendingRequest : IValueTaskSource<ReceivedFrame>
{
    private static readonly Action<object?> CancelCallback = static state => ((PendingRequest)state!).Cancel();

    private readonly ConcurrentQueue<PendingRequest> _pool;
    private ManualResetValueTaskSourceCore<ReceivedFrame> _core;
    private CancellationTokenRegistration _registration;
    private CancellationToken _token;
    private int _resolved;
    private int _owners;

    private PendingRequest(ConcurrentQueue<PendingRequest> pool) => _pool = pool;

    public ApiKey ApiKey { get; private set; }

    public short Version { get; private set; }

    public int CorrelationId { get; set; }

    /// <summary>When the response is overdue (TimeProvider timestamp).</summary>
    public long Deadline { get; set; }

    /// <summary>The request's timeout, for the message when it is overdue.</summary>
    public TimeSpan Timeout { get; private set; }

    /// <summary>
    /// A pending request from <paramref name="pool"/>. With <paramref name="runContinuationsInline"/> the caller's
    /// continuation runs on the thread that resolves it (the connection's read loop): only for callers whose
    /// continuation is short and never blocks.
    /// </summary>
    public static PendingRequest Rent(ConcurrentQueue<PendingRequest> pool, ApiKey apiKey, short version, TimeSpan timeout, bool runContinuationsInline)
    {
        if (!pool.TryDequeue(out var pending))
        {
            pending = new PendingRequest(pool);
        }
        pending.ApiKey = apiKey;
        pending.Version = version;
        pending.Timeout = timeout;
        pending._core.RunContinuationsAsynchronously = !runContinuationsInline;
        pending._resolved = 0;
        pending._owners = 2;
        return pending;
    }

    /// <summary>The caller's wait; <paramref name="cancellationToken"/> stops it (the connection stays).</summary>
    public ValueTask<ReceivedFrame> WaitAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            _token = cancellationToken;
            _registration = cancellationToken.UnsafeRegister(CancelCallback, this);
        }
        return new ValueTask<ReceivedFrame>(this, _core.Version);
    }

    /// <summary>The response arrived (the read loop's side): the caller takes the buffer, or it goes back to the pool.</summary>
    public void SetResponse(byte[] buffer, int length)
    {
        if (Interlocked.Exchange(ref _resolved, 1) == 0)
        {
            _core.SetResult(new ReceivedFrame(buffer, length));
        }
        else
        {
            FrameBufferPool.Instance.Return(buffer);
        }
        Release();
    }

    /// <summary>The request failed (the connection's side): timeout, connection lost, protocol error.</summary>
    public void SetFailure(Exception error)
    {
        if (Interlocked.Exchange(ref _resolved, 1) == 0)
        {
            _core.SetException(error);
        }
        Release();
    }

    /// <summary>Gives up the connection's ownership without resolving (the request was never written).</summary>
    public void Abandon(Exception error) => SetFailure(error);

    private void Cancel()
    {
        if (Interlocked.Exchange(ref _resolved, 1) == 0)
        {
            _core.SetException(new OperationCanceledException(_token));
        }
    }

    ReceivedFrame IValueTaskSource<ReceivedFrame>.GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _registration.Dispose();
            _registration = default;
            _token = default;
            Release();
        }
    }

    ValueTaskSourceStatus IValueTaskSource<ReceivedFrame>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<ReceivedFrame>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Release()
    {
        if (Interlocked.Decrement(ref _owners) == 0)
        {
            _core.Reset();
            _pool.Enqueue(this);
        }
    }
}

/// <summary>A response frame as read (after its size field), in a pooled buffer its holder returns.</summary>
internal readonly record struct ReceivedFrame(byte[] Buffer, int Length);
