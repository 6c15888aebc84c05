using Kafka.Client;

namespace Kafka.Hosting.Internal;

/// <summary>
/// A partition's messages one at a time, in offset order (<see cref="MessageOrdering.Partition"/>): one worker at a
/// time runs the lane, so its watermark is simply the offset after the message handled last.
/// </summary>
internal sealed class OrderedLane(ConsumerSession session, TopicAndPartition partition, long committed) : PartitionLane(session, partition, committed)
{
    /// <summary>Messages one turn handles before the lane lets other lanes have the worker.</summary>
    private const int Turn = 256;

    private readonly Queue<MessageBatch> _runs = new();
    private bool _scheduled;
    // The run being handled and its next message: touched only by the worker running the lane (one at a time).
    private MessageBatch? _current;
    private int _next;

    protected override void Add(MessageBatch run, List<LaneWork> toPost)
    {
        _runs.Enqueue(run);
        if (!_scheduled)
        {
            _scheduled = true;
            toPost.Add(this);
        }
    }

    public override async ValueTask<bool> RunAsync()
    {
        if (!TryEnter())
        {
            return Unschedule();
        }
        try
        {
            var turn = Turn;
            while (true)
            {
                var run = _current;
                if (run is null)
                {
                    lock (Sync)
                    {
                        if (!IsActive || !_runs.TryDequeue(out run))
                        {
                            _scheduled = false;
                            return false;
                        }
                    }
                    _current = run;
                    _next = 0;
                }
                while (_next < run.Count)
                {
                    if (!IsActive)
                    {
                        return Unschedule();
                    }
                    var message = run[_next];
                    if (await Session.HandleAsync(this, message).ConfigureAwait(false) != LaneResult.Handled)
                    {
                        return Unschedule();
                    }
                    Advance(message.Offset + 1);
                    _next++;
                    if (--turn == 0 && _next < run.Count)
                    {
                        return true;
                    }
                }
                _current = null;
                var count = run.Count;
                run.Dispose();
                Done(count);
                if (turn <= 0)
                {
                    lock (Sync)
                    {
                        if (_runs.Count == 0)
                        {
                            _scheduled = false;
                            return false;
                        }
                    }
                    return true;
                }
            }
        }
        finally
        {
            Exit();
        }
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
        var released = 0;
        if (_current is { } current)
        {
            released += current.Count;
            current.Dispose();
            _current = null;
        }
        while (_runs.TryDequeue(out var run))
        {
            released += run.Count;
            run.Dispose();
        }
        return released;
    }
}
