using System.Runtime.InteropServices;
using Kafka.Client;

namespace Kafka.Hosting.Internal;

/// <summary>
/// A partition's messages in batches, one batch at a time in offset order: up to <see cref="HostedConsumerOptions.MaxBatchSize"/>
/// messages, handed over once that many have arrived or the first has waited <see cref="HostedConsumerOptions.MaxBatchWait"/>
/// — or at once when the consumer has nothing more of the partition ready while the partition is behind its end or
/// has just caught up (<see cref="HandOverPartial"/>): more is a fetch away then, or the batch ends a backlog, and
/// waiting would only idle the handler.
/// A batch is the lane's runs sliced and combined without copying (<see cref="MessageBatch.Retain(int, int)"/>,
/// <see cref="MessageBatch.Combine"/>), so nothing is allocated per message.
/// </summary>
internal sealed class BatchLane : PartitionLane
{
    private readonly Queue<(MessageBatch Run, long Arrived)> _runs = new();
    private readonly List<MessageBatch> _segments = []; // the worker's only (one at a time)
    private readonly List<MessageBatch> _slices = [];
    private readonly int _maxBatchSize;
    private readonly TimeSpan _maxWait;
    private int _headTaken; // messages of the head run already handed out
    private int _available; // messages queued and not handed out
    private bool _scheduled;
    private bool _handOver; // hand over what is there without waiting, until the lane runs empty
    private ITimer? _timer;

    public BatchLane(ConsumerSession session, TopicAndPartition partition, long committed, int maxBatchSize, TimeSpan maxWait)
        : base(session, partition, committed)
    {
        _maxBatchSize = maxBatchSize;
        _maxWait = maxWait;
    }

    /// <summary>Whether the lane was given messages since the consumer last ran dry (the fetch loop's only).</summary>
    public bool InBurst { get; set; }

    /// <summary>Whether the partition was behind its end when the consumer last ran dry after giving the lane messages (the fetch loop's only).</summary>
    public bool WasBehind { get; set; }

    /// <summary>Whether messages wait in the lane, not handed over yet (read without the lock: a hint).</summary>
    public bool HoldsMessages => Volatile.Read(ref _available) > 0;

    /// <summary>
    /// The consumer has nothing more of this partition ready and the partition is behind its end or has just caught up:
    /// what the lane holds goes to the handler now, without waiting to fill a batch or for <see cref="HostedConsumerOptions.MaxBatchWait"/>.
    /// </summary>
    public void HandOverPartial()
    {
        lock (Sync)
        {
            if (!IsActive || _available == 0)
            {
                return;
            }
            _handOver = true;
            if (_scheduled)
            {
                return; // the worker running the lane sees it when its batch is done
            }
            _scheduled = true;
        }
        Session.Scheduler.Post(this);
    }

    protected override void Add(MessageBatch run, List<LaneWork> toPost)
    {
        _runs.Enqueue((run, Session.Time.GetTimestamp()));
        _available += run.Count;
        if (_scheduled)
        {
            return;
        }
        if (IsReady())
        {
            _scheduled = true;
            toPost.Add(this);
        }
        else
        {
            ArmTimer();
        }
    }

    /// <summary>
    /// Under <see cref="PartitionLane.Sync"/>: whether a batch should be handed over now. A paused partition brings no
    /// more messages until the lane has worked through its backlog, so waiting for a fuller batch would only stall it.
    /// </summary>
    private bool IsReady() =>
        _available >= _maxBatchSize || _handOver || _maxWait <= TimeSpan.Zero || Paused || Session.Time.GetElapsedTime(OldestWaiting()) >= _maxWait;

    /// <summary>When the oldest message not handed out arrived (its run's arrival).</summary>
    private long OldestWaiting()
    {
        var head = true;
        foreach (var (run, arrived) in _runs)
        {
            if (!head || _headTaken < run.Count)
            {
                return arrived;
            }
            head = false;
        }
        return Session.Time.GetTimestamp();
    }

    private void ArmTimer()
    {
        var due = _maxWait - Session.Time.GetElapsedTime(OldestWaiting());
        _timer ??= Session.Time.CreateTimer(static state => ((BatchLane)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(due > TimeSpan.Zero ? due : TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
    }

    private void OnTimer()
    {
        lock (Sync)
        {
            if (_scheduled || !IsActive || _available == 0)
            {
                return;
            }
            _scheduled = true;
        }
        Session.Scheduler.Post(this);
    }

    public override async ValueTask<bool> RunAsync()
    {
        if (!TryEnter())
        {
            return Unschedule();
        }
        try
        {
            MessageBatch batch;
            bool made;
            lock (Sync)
            {
                if (!IsActive || _available == 0)
                {
                    _scheduled = false;
                    return false;
                }
                if (!IsReady())
                {
                    _scheduled = false;
                    ArmTimer();
                    return false;
                }
                batch = Take(out made);
            }
            var count = batch.Count;
            var last = batch[count - 1].Offset;
            var result = await Session.HandleBatchAsync(this, batch).ConfigureAwait(false);
            if (made)
            {
                batch.Dispose();
            }
            if (result != LaneResult.Handled)
            {
                return Unschedule();
            }
            Advance(last + 1);
            int released;
            bool more;
            lock (Sync)
            {
                released = Consume(count);
                more = _available > 0 && IsActive && IsReady();
                if (!more)
                {
                    if (_available > 0 && IsActive)
                    {
                        ArmTimer();
                    }
                    _scheduled = false;
                }
            }
            Done(released);
            return more; // when more: it stays scheduled, queued behind the other lanes
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Under the lock: the next batch, from the head runs: a whole run as it is, else slices combined
    /// (<paramref name="made"/>: made for the handler, disposed after it).
    /// </summary>
    private MessageBatch Take(out bool made)
    {
        _segments.Clear();
        _slices.Clear();
        var wanted = Math.Min(_maxBatchSize, _available);
        var first = true;
        foreach (var (run, _) in _runs)
        {
            var from = first ? _headTaken : 0;
            first = false;
            var count = Math.Min(run.Count - from, wanted);
            if (count <= 0)
            {
                continue;
            }
            if (from == 0 && count == run.Count)
            {
                _segments.Add(run);
            }
            else
            {
                var slice = run.Retain(from, count);
                _segments.Add(slice);
                _slices.Add(slice);
            }
            wanted -= count;
            if (wanted == 0)
            {
                break;
            }
        }
        foreach (var segment in _segments)
        {
            _available -= segment.Count;
        }
        if (_available == 0)
        {
            _handOver = false;
        }
        made = _slices.Count > 0 || _segments.Count > 1;
        if (_segments.Count == 1)
        {
            return _segments[0];
        }
        var combined = MessageBatch.Combine(CollectionsMarshal.AsSpan(_segments));
        foreach (var slice in _slices)
        {
            slice.Dispose();
        }
        _slices.Clear();
        return combined;
    }

    /// <summary>Under the lock: <paramref name="count"/> messages handed out are done; runs wholly done are released.</summary>
    private int Consume(int count)
    {
        var released = 0;
        while (count > 0 && _runs.TryPeek(out var head))
        {
            var left = head.Run.Count - _headTaken;
            if (count < left)
            {
                _headTaken += count;
                break;
            }
            count -= left;
            _runs.Dequeue();
            _headTaken = 0;
            released += head.Run.Count;
            head.Run.Dispose();
        }
        return released;
    }

    private bool Unschedule()
    {
        lock (Sync)
        {
            _scheduled = false;
        }
        return false;
    }

    protected override int ReleaseRuns()
    {
        _timer?.Dispose();
        _timer = null;
        var released = 0;
        while (_runs.TryDequeue(out var entry))
        {
            released += entry.Run.Count;
            entry.Run.Dispose();
        }
        _headTaken = 0;
        _available = 0;
        _handOver = false;
        return released;
    }
}
