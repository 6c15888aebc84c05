using Kafka.Client;

namespace Kafka.Hosting.Internal;

/// <summary>How handling a message or batch ended for its lane.</summary>
internal enum LaneResult
{
    /// <summary>Handled (or skipped, or dead-lettered): it counts as done and may be committed past.</summary>
    Handled,

    /// <summary>The failure policy stopped the partition at it.</summary>
    Stopped,

    /// <summary>The lane is being given up or the host is shutting down: it stays unhandled.</summary>
    Abandoned,
}

/// <summary>
/// One assigned partition's share of a consumer session: the retained runs of its messages in offset order, the
/// watermark below which every message is handled (what is committed), and what health and backpressure need to know.
/// Subclasses decide how its messages are handed to workers: one at a time (<see cref="OrderedLane"/>), by key
/// (<see cref="KeyedLane"/>) or in batches (<see cref="BatchLane"/>).
/// </summary>
/// <remarks>
/// A lane is active until the failure policy stops it (its partition is paused and nothing more starts) or until it
/// is closed (its partition is given up or the session ends): then nothing more starts, and once the handlers still
/// running have returned its runs are released. Its messages' bytes stay valid while a handler has them, whatever the
/// consumer does meanwhile, because runs are retained batches.
/// </remarks>
internal abstract class PartitionLane : LaneWork
{
    private const int ActiveState = 0;
    private const int StoppedState = 1;
    private const int ClosingState = 2;

    private readonly CancellationTokenSource _cancel = new();
    private readonly List<LaneWork> _toPost = []; // Enqueue is called by the fetch loop only
    private int _state;
    private int _running;
    private bool _released;
    private TaskCompletionSource? _idle;
    private int _pending;
    private long _watermark = -1;
    private long _committed;
    private long _firstReceived = -1;
    private long _receivedEnd = -1;
    private long _uncommittedSince;
    private long _lastCommitAdvance;
    private long _stoppedAt = -1;
    private volatile bool _paused;

    protected PartitionLane(ConsumerSession session, TopicAndPartition partition, long committed)
    {
        Session = session;
        Partition = partition;
        AsList = [partition];
        _committed = committed;
        _lastCommitAdvance = session.Time.GetTimestamp();
    }

    public TopicAndPartition Partition { get; }

    /// <summary>The partition as a one-element list, for Pause and Resume without allocating.</summary>
    public IReadOnlyList<TopicAndPartition> AsList { get; }

    protected ConsumerSession Session { get; }

    /// <summary>Guards the lane's queues and state.</summary>
    protected Lock Sync { get; } = new();

    /// <summary>Guards pausing and resuming the partition for backpressure.</summary>
    public Lock PauseSync { get; } = new();

    /// <summary>Cancelled when the lane's handlers must give up (drain timeout, host shutdown timeout).</summary>
    public CancellationToken Token => _cancel.Token;

    public bool IsActive => Volatile.Read(ref _state) == ActiveState;

    public bool IsStopped => Volatile.Read(ref _state) == StoppedState;

    public bool IsClosing => Volatile.Read(ref _state) == ClosingState;

    /// <summary>The offset the failure policy stopped the partition at, or -1.</summary>
    public long StoppedAt => Interlocked.Read(ref _stoppedAt);

    /// <summary>Messages received and not yet done with (handled, or released when the lane stopped or closed).</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>The offset below which every message received is handled, or -1 before the first one.</summary>
    public long Watermark => Interlocked.Read(ref _watermark);

    /// <summary>The group's committed offset as last read or committed (-1 when there was none).</summary>
    public long Committed => Interlocked.Read(ref _committed);

    /// <summary>Whether backpressure paused the partition (or the failure policy, for a stopped lane); set under <see cref="PauseSync"/>.</summary>
    public bool Paused
    {
        get => _paused;
        set => _paused = value;
    }

    /// <summary>How many messages were received and are not committed yet (0 before the first).</summary>
    public long Uncommitted
    {
        get
        {
            var end = Interlocked.Read(ref _receivedEnd);
            if (end < 0)
            {
                return 0;
            }
            var committed = Committed;
            var start = committed >= 0 ? committed : Interlocked.Read(ref _firstReceived);
            return Math.Max(0, end - start);
        }
    }

    /// <summary>How long uncommitted messages have waited without a commit advancing (zero when none wait).</summary>
    public TimeSpan StalledFor
    {
        get
        {
            if (Uncommitted == 0)
            {
                return TimeSpan.Zero;
            }
            var since = Math.Max(Interlocked.Read(ref _lastCommitAdvance), Interlocked.Read(ref _uncommittedSince));
            return Session.Time.GetElapsedTime(since);
        }
    }

    /// <summary>Adds a run received for the partition; false when the lane takes no more (the caller disposes the run).</summary>
    public bool Enqueue(MessageBatch run)
    {
        lock (Sync)
        {
            if (Volatile.Read(ref _state) != ActiveState)
            {
                return false;
            }
            if (Uncommitted == 0)
            {
                Interlocked.Exchange(ref _uncommittedSince, Session.Time.GetTimestamp());
            }
            if (_firstReceived < 0)
            {
                Interlocked.Exchange(ref _firstReceived, run[0].Offset);
            }
            Interlocked.Exchange(ref _receivedEnd, run[run.Count - 1].Offset + 1);
            Interlocked.Add(ref _pending, run.Count);
            Add(run, _toPost);
        }
        foreach (var work in _toPost)
        {
            Session.Scheduler.Post(work);
        }
        _toPost.Clear();
        return true;
    }

    /// <summary>Queues a run (under <see cref="Sync"/>); work that became scheduled goes to <paramref name="toPost"/>.</summary>
    protected abstract void Add(MessageBatch run, List<LaneWork> toPost);

    /// <summary>Releases every queued run (under <see cref="Sync"/>, with no handler running); returns how many messages they held.</summary>
    protected abstract int ReleaseRuns();

    /// <summary>Moves the watermark (only forward).</summary>
    protected void Advance(long next)
    {
        if (next > Interlocked.Read(ref _watermark))
        {
            Interlocked.Exchange(ref _watermark, next);
        }
    }

    /// <summary>Messages done with: they leave the in-flight count (and may let the partition resume).</summary>
    protected void Done(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _pending, -count);
            Session.OnDone(this, count);
        }
    }

    /// <summary>A worker starts running this lane's work; false when the lane takes no more work.</summary>
    protected bool TryEnter()
    {
        lock (Sync)
        {
            if (Volatile.Read(ref _state) != ActiveState)
            {
                return false;
            }
            _running++;
            return true;
        }
    }

    /// <summary>A worker is done running this lane's work; the last one out of a stopped or closed lane releases its runs.</summary>
    protected void Exit()
    {
        TaskCompletionSource? idle = null;
        var released = 0;
        lock (Sync)
        {
            if (--_running == 0 && Volatile.Read(ref _state) != ActiveState)
            {
                idle = _idle;
                _idle = null;
                released = ReleaseOnce();
            }
        }
        Done(released);
        idle?.TrySetResult();
    }

    /// <summary>The failure policy stopped the partition at <paramref name="offset"/>: nothing more of it starts.</summary>
    public void Stop(long offset)
    {
        lock (Sync)
        {
            if (Volatile.Read(ref _state) != ActiveState)
            {
                return;
            }
            Interlocked.Exchange(ref _stoppedAt, offset);
            Volatile.Write(ref _state, StoppedState);
        }
        Session.OnStopped(this);
    }

    /// <summary>Closes the lane: nothing more starts; completes once no handler of it runs (its runs are then released).</summary>
    public Task CloseAsync()
    {
        var released = 0;
        Task result;
        lock (Sync)
        {
            Volatile.Write(ref _state, ClosingState);
            if (_running > 0)
            {
                _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                result = _idle.Task;
            }
            else
            {
                released = ReleaseOnce();
                result = Task.CompletedTask;
            }
        }
        Done(released);
        return result;
    }

    /// <summary>Tells the handlers still running for this lane to give up.</summary>
    public void CancelHandlers() => _cancel.Cancel();

    /// <summary>A commit of <paramref name="offset"/> for the partition succeeded.</summary>
    public void OnCommitted(long offset, long timestamp)
    {
        if (offset > Committed)
        {
            Interlocked.Exchange(ref _committed, offset);
            Interlocked.Exchange(ref _lastCommitAdvance, timestamp);
        }
    }

    private int ReleaseOnce()
    {
        if (_released)
        {
            return 0;
        }
        _released = true;
        return ReleaseRuns();
    }
}
