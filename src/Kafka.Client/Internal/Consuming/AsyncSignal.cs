namespace Kafka.Client.Internal.Consuming;

/// <summary>
/// An auto-reset signal with one waiter at a time: <see cref="Set"/> wakes the waiter, or the next wait if nobody is
/// waiting. Used to wake a fetch loop, the maintenance loop or a waiting consumer.
/// </summary>
internal sealed class AsyncSignal
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _waiter;
    private bool _set;

    public void Set()
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            waiter = _waiter;
            _waiter = null;
            if (waiter is null)
            {
                _set = true;
                return;
            }
        }
        waiter.TrySetResult();
    }

    /// <summary>Waits for <see cref="Set"/>, at most <paramref name="timeout"/> (infinite when negative); true when set.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        Task task;
        lock (_lock)
        {
            if (_set)
            {
                _set = false;
                return true;
            }
            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            task = _waiter.Task;
        }
        if (timeout < TimeSpan.Zero)
        {
            await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        try
        {
            await task.WaitAsync(timeout, timeProvider, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
