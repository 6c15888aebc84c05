namespace Kafka.Client.Internal.Producing;

/// <summary>
/// One <see cref="Producer.FlushAsync"/> call: for each partition, the newest batch that existed when it was called.
/// It completes once no batch up to those is unfinished.
/// </summary>
internal sealed class FlushWaiter
{
    private readonly PartitionQueue[] _queues;
    private readonly long[] _targets;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FlushWaiter(PartitionQueue[] queues, long[] targets)
    {
        _queues = queues;
        _targets = targets;
    }

    public Task Task => _done.Task;

    public void TryComplete()
    {
        if (_done.Task.IsCompleted)
        {
            return;
        }
        for (var i = 0; i < _queues.Length; i++)
        {
            var queue = _queues[i];
            lock (queue.Lock)
            {
                if (queue.OldestUnfinished() <= _targets[i])
                {
                    return;
                }
            }
        }
        _done.TrySetResult();
    }

    public void Fail(Exception error) => _done.TrySetException(error);
}
