using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Kafka.Client.Internal;

/// <summary>
/// An auto-reset event for one waiting loop: <see cref="Set"/> wakes the waiter, or is remembered until the next wait,
/// so that a wake-up raised while the loop was busy is never lost. Waiting allocates nothing in the steady state (the
/// timer is reused, the wait is a pooled value task), and continuations run on the thread pool, never on the thread
/// that calls <see cref="Set"/> (a producing thread must not end up running a sender loop) — unless the signal is made
/// to run them inline: then the thread that wakes the loop runs it until its next wait. The engines' fetch loops,
/// senders, consumers and group memberships all wait on it.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource<bool>, IValueTaskSource
{
    private const int Idle = 0;
    private const int Signaled = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core;
    private int _state;
    // The wait's deadline on its clock's timestamps; a timer callback from an earlier wait checks it before acting.
    private long _deadline;
    private TimeProvider? _timerClock;
    private ITimer? _timer;
    private bool _canceled;

    /// <param name="runContinuationsInline">
    /// Whether <see cref="Set"/> runs the waiting loop on the calling thread (until the loop waits again) instead of
    /// handing it to the thread pool: saves a thread hop where the loop's work is short and never blocks.
    /// </param>
    public AsyncSignal(bool runContinuationsInline = false) =>
        _core = new ManualResetValueTaskSourceCore<bool> { RunContinuationsAsynchronously = !runContinuationsInline };

    /// <summary>Wakes the waiter, or makes the next wait return at once.</summary>
    public void Set()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == Signaled)
            {
                return;
            }
            if (state == Idle)
            {
                if (Interlocked.CompareExchange(ref _state, Signaled, Idle) == Idle)
                {
                    return;
                }
            }
            else if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
            {
                _core.SetResult(true);
                return;
            }
        }
    }

    /// <summary>Waits for <see cref="Set"/>; only one caller may wait at a time.</summary>
    public ValueTask WaitAsync() =>
        TryBegin(Timeout.InfiniteTimeSpan, out _) ? ValueTask.CompletedTask : new ValueTask(this, _core.Version);

    /// <summary>Waits for <see cref="Set"/> until <paramref name="cancellationToken"/> is cancelled; only one caller may wait at a time.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        var wait = WaitAsync(Timeout.InfiniteTimeSpan, TimeProvider.System, cancellationToken);
        return wait.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitAsync(wait);

        static async ValueTask AwaitAsync(ValueTask<bool> wait) => await wait.ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for <see cref="Set"/> at most <paramref name="timeout"/> on <paramref name="timeProvider"/>'s clock
    /// (without limit when negative); only one caller may wait at a time.
    /// </summary>
    /// <returns><see langword="true"/> when set, <see langword="false"/> when the timeout passed first.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled first.</exception>
    public ValueTask<bool> WaitAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested && Volatile.Read(ref _state) != Signaled)
        {
            return ValueTask.FromCanceled<bool>(cancellationToken);
        }
        if (TryBegin(timeout, out var set))
        {
            return new ValueTask<bool>(set);
        }
        var wait = new ValueTask<bool>(this, _core.Version);
        return timeout < TimeSpan.Zero && !cancellationToken.CanBeCanceled
            ? wait
            : WaitWithLimitsAsync(wait, timeout, timeProvider, cancellationToken);
    }

    /// <summary>
    /// Takes a remembered signal (true, <paramref name="set"/>), or returns at once for a zero timeout (true, not
    /// set), or starts waiting (false).
    /// </summary>
    private bool TryBegin(TimeSpan timeout, out bool set)
    {
        set = true;
        if (Interlocked.CompareExchange(ref _state, Idle, Signaled) == Signaled)
        {
            return true;
        }
        if (timeout == TimeSpan.Zero)
        {
            set = false;
            return true;
        }
        _core.Reset();
        _canceled = false;
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
        {
            // Set ran between the two exchanges: consume its signal.
            Volatile.Write(ref _state, Idle);
            return true;
        }
        return false;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitWithLimitsAsync(ValueTask<bool> wait, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((AsyncSignal)state!).Expire(canceled: true), this)
            : default;
        // Beyond what a timer takes (about 49 days) is as good as no limit.
        var timed = timeout > TimeSpan.Zero && timeout.TotalMilliseconds < uint.MaxValue - 1;
        if (timed)
        {
            Volatile.Write(ref _deadline, timeProvider.GetTimestamp() + (long)(timeout.TotalSeconds * timeProvider.TimestampFrequency));
            if (!ReferenceEquals(_timerClock, timeProvider))
            {
                _timer?.Dispose();
                _timer = timeProvider.CreateTimer(static state => ((AsyncSignal)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _timerClock = timeProvider;
            }
            _timer!.Change(timeout, Timeout.InfiniteTimeSpan);
        }
        try
        {
            var set = await wait.ConfigureAwait(false);
            if (!set && _canceled)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            return set;
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
            if (timed)
            {
                _timer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnTimer()
    {
        var clock = _timerClock;
        if (clock is null || Volatile.Read(ref _state) != Waiting)
        {
            return;
        }
        var left = clock.GetElapsedTime(clock.GetTimestamp(), Volatile.Read(ref _deadline));
        if (left > TimeSpan.Zero)
        {
            // A timer firing a hair early, or late from an earlier wait: wait out what remains of this one.
            _timer?.Change(left, Timeout.InfiniteTimeSpan);
            return;
        }
        Expire(canceled: false);
    }

    /// <summary>Ends the wait in progress without a signal (timeout or cancellation); a Set that comes later is kept.</summary>
    private void Expire(bool canceled)
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
        {
            _canceled = canceled;
            _core.SetResult(false);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
