using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace Kafka.Client.Internal.Producing;

/// <summary>
/// The pooled source behind the <see cref="ValueTask{TResult}"/> that <c>Producer.ProduceAsync</c> returns, so
/// that awaiting a delivery allocates nothing once the pool is warm. Two parties own it: the batch holding the
/// message (which completes it) and the awaiter (which reads the result); it returns to the pool when both are done
/// with it. Completion happens once, whichever comes first of the delivery outcome and the caller's cancellation.
/// </summary>
/// <remarks>
/// As for any pooled <see cref="ValueTask{TResult}"/>, the task must be awaited (or converted with AsTask) exactly
/// once; awaiting it twice or after it completed is undefined.
/// </remarks>
internal sealed class DeliveryCompletion : IValueTaskSource<DeliveryReport>
{
    private static readonly Action<object?> CancelCallback = static state => ((DeliveryCompletion)state!).Cancel();

    private readonly ConcurrentQueue<DeliveryCompletion> _pool;
    private readonly int _poolLimit;
    private ManualResetValueTaskSourceCore<DeliveryReport> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private CancellationToken _token;
    private ManualResetEventSlim? _syncEvent;
    private int _completed;
    private int _owners;

    private DeliveryCompletion(ConcurrentQueue<DeliveryCompletion> pool, int poolLimit)
    {
        _pool = pool;
        _poolLimit = poolLimit;
    }

    /// <summary>A completion from <paramref name="pool"/> (or a new one), owned by the batch and the awaiter.</summary>
    public static DeliveryCompletion Rent(ConcurrentQueue<DeliveryCompletion> pool, int poolLimit)
    {
        if (!pool.TryDequeue(out var completion))
        {
            completion = new DeliveryCompletion(pool, poolLimit);
        }
        completion._completed = 0;
        completion._owners = 2;
        completion._syncEvent = null;
        return completion;
    }

    /// <summary>
    /// Makes completion also set <paramref name="signal"/> directly (no thread-pool hop), for a thread that blocks on
    /// it (<see cref="WaitForResult"/>). Call before the message is queued.
    /// </summary>
    public void UseSyncSignal(ManualResetEventSlim signal)
    {
        signal.Reset();
        _syncEvent = signal;
    }

    /// <summary>Blocks until completed (see <see cref="UseSyncSignal"/>), then reads the result as the awaiter would.</summary>
    public DeliveryReport WaitForResult()
    {
        var signal = _syncEvent!;
        var version = _core.Version;
        signal.Wait();
        return ((IValueTaskSource<DeliveryReport>)this).GetResult(version);
    }

    /// <summary>The task for the awaiter; <paramref name="cancellationToken"/> stops the wait (not the delivery).</summary>
    public ValueTask<DeliveryReport> GetTask(CancellationToken cancellationToken)
    {
        var task = new ValueTask<DeliveryReport>(this, _core.Version);
        if (cancellationToken.CanBeCanceled)
        {
            _token = cancellationToken;
            _registration = cancellationToken.UnsafeRegister(CancelCallback, this);
        }
        return task;
    }

    /// <summary>Completes with the delivery outcome (the batch's side); the batch must not touch it afterwards.</summary>
    public void Complete(in DeliveryReport report)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            var signal = _syncEvent;
            if (report.Error is null)
            {
                _core.SetResult(report);
            }
            else
            {
                _core.SetException(report.Error);
            }
            signal?.Set();
        }
        Release();
    }

    /// <summary>Gives up the batch's ownership without a result (the message was never queued).</summary>
    public void Abandon(Exception error)
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _core.SetException(error);
        }
        Release();
    }

    private void Cancel()
    {
        if (Interlocked.Exchange(ref _completed, 1) == 0)
        {
            _core.SetException(new OperationCanceledException(
                "Stopped waiting for the delivery report; the message itself is still being delivered.", _token));
        }
    }

    DeliveryReport IValueTaskSource<DeliveryReport>.GetResult(short token)
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

    ValueTaskSourceStatus IValueTaskSource<DeliveryReport>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<DeliveryReport>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Release()
    {
        if (Interlocked.Decrement(ref _owners) == 0)
        {
            _core.Reset();
            if (_pool.Count < _poolLimit)
            {
                _pool.Enqueue(this);
            }
        }
    }
}
