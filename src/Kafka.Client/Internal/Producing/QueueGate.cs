namespace Kafka.Client.Internal.Producing;

/// <summary>
/// Counts the messages a producer holds (accepted and not yet finished, or finished with an unread delivery report)
/// against <see cref="ProducerOptions.MaxQueuedMessages"/>. Taking a place is one interlocked operation; only a full
/// queue makes callers wait: synchronously (<see cref="Acquire"/>, pykafka's blocking produce) or asynchronously
/// (<see cref="AcquireAsync"/>).
/// </summary>
internal sealed class QueueGate
{
    private readonly int _capacity;
    private readonly object _lock = new(); // a monitor: blocked producers wait on it
    private readonly List<TaskCompletionSource> _asyncWaiters = [];
    private int _count;
    private int _waiters;
    private Exception? _closed;

    public QueueGate(int capacity) => _capacity = capacity;

    public int Count => Volatile.Read(ref _count);

    public int Capacity => _capacity;

    /// <summary>Takes a place if there is one.</summary>
    public bool TryAcquire()
    {
        var count = Volatile.Read(ref _count);
        while (count < _capacity)
        {
            var seen = Interlocked.CompareExchange(ref _count, count + 1, count);
            if (seen == count)
            {
                return true;
            }
            count = seen;
        }
        return false;
    }

    /// <summary>Takes a place, blocking the calling thread while the queue is full.</summary>
    /// <exception cref="ProducerDisposedException">The producer was disposed while waiting.</exception>
    public void Acquire()
    {
        while (!TryAcquire())
        {
            lock (_lock)
            {
                ThrowIfClosed();
                _waiters++;
                try
                {
                    if (Volatile.Read(ref _count) >= _capacity)
                    {
                        Monitor.Wait(_lock);
                    }
                }
                finally
                {
                    _waiters--;
                }
            }
        }
    }

    /// <summary>Takes a place, waiting asynchronously while the queue is full.</summary>
    public async ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        while (!TryAcquire())
        {
            TaskCompletionSource waiter;
            lock (_lock)
            {
                ThrowIfClosed();
                if (Volatile.Read(ref _count) < _capacity)
                {
                    continue;
                }
                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _asyncWaiters.Add(waiter);
                _waiters++;
            }
            try
            {
                await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                lock (_lock)
                {
                    if (_asyncWaiters.Remove(waiter))
                    {
                        _waiters--;
                    }
                }
            }
        }
    }

    /// <summary>Gives back <paramref name="count"/> places and wakes whoever waits for one.</summary>
    public void Release(int count)
    {
        if (count <= 0)
        {
            return;
        }
        Interlocked.Add(ref _count, -count);
        if (Volatile.Read(ref _waiters) > 0)
        {
            WakeAll();
        }
    }

    /// <summary>Makes every waiter, now and later, fail with <paramref name="reason"/>.</summary>
    public void Close(Exception reason)
    {
        lock (_lock)
        {
            _closed ??= reason;
        }
        WakeAll();
    }

    private void WakeAll()
    {
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
            foreach (var waiter in _asyncWaiters)
            {
                waiter.TrySetResult();
            }
            _waiters -= _asyncWaiters.Count;
            _asyncWaiters.Clear();
        }
    }

    private void ThrowIfClosed()
    {
        if (_closed is not null)
        {
            throw new ProducerDisposedException(_closed.Message, _closed);
        }
    }
}
