using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>
/// A unit of ordered work a worker runs: a partition's lane, or one key-ordered sub-lane of it. It is in the ready
/// queue at most once; <see cref="RunAsync"/> works until it has nothing to do (returns <see langword="false"/>, having
/// cleared its scheduled mark under its lock) or has used its turn (returns <see langword="true"/> and is queued again,
/// behind the others).
/// </summary>
internal abstract class LaneWork
{
    public abstract ValueTask<bool> RunAsync();
}

/// <summary>
/// The workers of one consumer session: <see cref="HostedConsumerOptions.MaxConcurrency"/> tasks taking ready lanes in
/// turn, so at most that many handlers run at once and every lane keeps its own order. A worker with nothing to do
/// parks; posting work wakes one parked worker, not all of them, and allocates nothing.
/// </summary>
internal sealed class LaneScheduler
{
    private readonly ConcurrentQueue<LaneWork> _ready = new();
    private readonly Lock _lock = new();
    private readonly Worker[] _parked;
    private readonly Task[] _tasks;
    private readonly ILogger _logger;
    private readonly string _topics;
    private readonly string _group;
    private int _parkedCount;
    private bool _stopping;

    public LaneScheduler(int workers, ILogger logger, string topics, string group)
    {
        _logger = logger;
        _topics = topics;
        _group = group;
        _parked = new Worker[workers];
        _tasks = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            var worker = new Worker();
            _tasks[i] = Task.Run(() => WorkAsync(worker), CancellationToken.None);
        }
    }

    /// <summary>Queues work that has just been marked scheduled, and wakes a parked worker if there is one.</summary>
    public void Post(LaneWork work)
    {
        _ready.Enqueue(work);
        Worker? parked = null;
        lock (_lock)
        {
            if (_parkedCount > 0)
            {
                parked = _parked[--_parkedCount];
                _parked[_parkedCount] = null!;
            }
        }
        parked?.Wake();
    }

    private async Task WorkAsync(Worker worker)
    {
        while (true)
        {
            if (_ready.TryDequeue(out var work))
            {
                bool more;
                try
                {
                    more = await work.RunAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // Lanes handle their handlers' failures; this is a bug, and the lane must not take the worker down.
                    HostedConsumerLog.LaneFailed(_logger, ex, _topics, _group);
                    more = false;
                }
                if (more)
                {
                    Post(work);
                }
                continue;
            }
            lock (_lock)
            {
                // Work posted after the dequeue above is seen here: Post enqueues before it looks for a parked worker.
                if (!_ready.IsEmpty)
                {
                    continue;
                }
                if (_stopping)
                {
                    return;
                }
                worker.Reset();
                _parked[_parkedCount++] = worker;
            }
            await worker.WaitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ends the workers once the queue is empty (lanes are closed first, so what is left returns at once).</summary>
    public async Task StopAsync()
    {
        Worker[] parked;
        lock (_lock)
        {
            _stopping = true;
            parked = _parked[.._parkedCount];
            Array.Clear(_parked);
            _parkedCount = 0;
        }
        foreach (var worker in parked)
        {
            worker.Wake();
        }
        await Task.WhenAll(_tasks).ConfigureAwait(false);
    }

    /// <summary>A parked worker's wake-up: a reusable awaitable, so that parking allocates nothing.</summary>
    private sealed class Worker : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        public void Reset() => _core.Reset();

        public void Wake() => _core.SetResult(true);

        public ValueTask WaitAsync() => new(this, _core.Version);

        void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

        void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
