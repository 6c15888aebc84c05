using System.Buffers;
using Kafka.Client;

namespace Kafka.Hosting.Internal;

/// <summary>
/// A partition's messages spread over sub-lanes that run side by side: by key (<see cref="MessageOrdering.Key"/>:
/// equal keys go to the same sub-lane, so they stay in order) or in turn (<see cref="MessageOrdering.None"/>). Each
/// run remembers which of its messages are done; the watermark is the first message not done, so a commit never
/// passes a message still being handled or stopped at.
/// </summary>
internal sealed class KeyedLane : PartitionLane
{
    private const int Turn = 256;

    private readonly SubLane[] _subLanes;
    private readonly Queue<RunProgress> _runs = new();
    private readonly bool _byKey;
    private int _nextSubLane;

    public KeyedLane(ConsumerSession session, TopicAndPartition partition, long committed, int width, bool byKey)
        : base(session, partition, committed)
    {
        _byKey = byKey;
        _subLanes = new SubLane[width];
        for (var i = 0; i < width; i++)
        {
            _subLanes[i] = new SubLane(this);
        }
    }

    /// <summary>Never scheduled itself: its sub-lanes are.</summary>
    public override ValueTask<bool> RunAsync() => new(false);

    protected override void Add(MessageBatch run, List<LaneWork> toPost)
    {
        var progress = new RunProgress(run);
        _runs.Enqueue(progress);
        for (var i = 0; i < run.Count; i++)
        {
            var subLane = _subLanes[Pick(run[i])];
            subLane.Items.Enqueue(new Item(progress, i));
            if (!subLane.Scheduled)
            {
                subLane.Scheduled = true;
                toPost.Add(subLane);
            }
        }
    }

    private int Pick(in MessageView message)
    {
        if (!_byKey)
        {
            return _nextSubLane = (_nextSubLane + 1) % _subLanes.Length;
        }
        if (message.IsPartitionKeyNull)
        {
            return 0; // messages without a key count as one key
        }
        var hash = new HashCode();
        hash.AddBytes(message.PartitionKey.Span);
        return (int)((uint)hash.ToHashCode() % (uint)_subLanes.Length);
    }

    /// <summary>A message is done: the watermark moves over the done prefix, and runs done with are released.</summary>
    private void Complete(in Item item)
    {
        var released = 0;
        lock (Sync)
        {
            var run = item.Run;
            run.Done[item.Index] = true;
            while (run.FirstPending < run.Batch.Count && run.Done[run.FirstPending])
            {
                run.FirstPending++;
            }
            while (_runs.TryPeek(out var head) && head.FirstPending == head.Batch.Count)
            {
                _runs.Dequeue();
                Advance(head.Batch[head.Batch.Count - 1].Offset + 1);
                released += head.Batch.Count;
                head.Release();
            }
            if (_runs.TryPeek(out var first) && first.FirstPending > 0)
            {
                Advance(first.Batch[first.FirstPending].Offset);
            }
        }
        Done(released);
    }

    protected override int ReleaseRuns()
    {
        var released = 0;
        foreach (var subLane in _subLanes)
        {
            subLane.Items.Clear();
        }
        while (_runs.TryDequeue(out var run))
        {
            released += run.Batch.Count;
            run.Release();
        }
        return released;
    }

    private readonly record struct Item(RunProgress Run, int Index);

    /// <summary>A run and which of its messages are done.</summary>
    private sealed class RunProgress(MessageBatch batch)
    {
        public MessageBatch Batch { get; } = batch;

        public bool[] Done { get; } = ArrayPool<bool>.Shared.Rent(batch.Count);

        public int FirstPending { get; set; }

        public void Release()
        {
            Batch.Dispose();
            ArrayPool<bool>.Shared.Return(Done, clearArray: true);
        }
    }

    /// <summary>One key's (or one turn's) ordered share of the partition.</summary>
    private sealed class SubLane(KeyedLane lane) : LaneWork
    {
        public Queue<Item> Items { get; } = new();

        public bool Scheduled { get; set; }

        public override async ValueTask<bool> RunAsync()
        {
            if (!lane.TryEnter())
            {
                return Unschedule();
            }
            try
            {
                for (var turn = Turn; turn > 0; turn--)
                {
                    Item item;
                    lock (lane.Sync)
                    {
                        if (!lane.IsActive || !Items.TryDequeue(out item))
                        {
                            Scheduled = false;
                            return false;
                        }
                    }
                    var message = item.Run.Batch[item.Index];
                    if (await lane.Session.HandleAsync(lane, message).ConfigureAwait(false) != LaneResult.Handled)
                    {
                        return Unschedule();
                    }
                    lane.Complete(item);
                }
                lock (lane.Sync)
                {
                    if (Items.Count > 0 && lane.IsActive)
                    {
                        return true;
                    }
                    Scheduled = false;
                    return false;
                }
            }
            finally
            {
                lane.Exit();
            }
        }

        private bool Unschedule()
        {
            lock (lane.Sync)
            {
                Scheduled = false;
            }
            return false;
        }
    }
}
