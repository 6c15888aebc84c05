using System.Threading.Tasks.Sources;

namespace Kafka.Client.Internal.Producing;

/// <summary>
/// An auto-reset event for one waiting loop that allocates nothing per wait: <see cref="Set"/> wakes the waiter, or
/// is remembered until the next <see cref="WaitAsync"/>. Continuations run on the thread pool, never on the thread
/// that calls <see cref="Set"/> (a producing thread must not end up running a sender loop) — unless the signal is made
/// to run them inline: then the thread that wakes the loop runs it until its next wait.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Signaled = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core;
    private int _state;

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
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signaled) == Signaled)
        {
            return ValueTask.CompletedTask;
        }
        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
        {
            // Set ran between the two exchanges: consume its signal.
            Volatile.Write(ref _state, Idle);
            return ValueTask.CompletedTask;
        }
        return new ValueTask(this, _core.Version);
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
