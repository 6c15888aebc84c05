using System.Runtime.ExceptionServices;
using Kafka.Client;

namespace Kafka.Hosting.Internal;

/// <summary>
/// One <see cref="BalancedConsumer"/>'s life in a hosted consumer: a fetch loop that takes batches and hands each
/// partition's runs (retained, not copied) to that partition's lane; workers that run the lanes side by side; a commit
/// loop that commits every lane's watermark in the background; and the rebalance callbacks that make and drain lanes.
/// </summary>
/// <remarks>
/// The consumer's own automatic commit is off and it stores nothing by itself
/// (<see cref="BalancedConsumerOptions.StoreOffsetsOnConsume"/> off): the session stores each lane's watermark, the offset
/// below which every message is handled, before it commits, before partitions are given up and before the consumer is
/// disposed, so that the consumer commits exactly that in those places too.
/// </remarks>
internal sealed partial class ConsumerSession
{
    /// <summary>The most messages one consume call takes.</summary>
    private const int TakeLimit = 1000;

    private readonly ConsumerContext _context;
    private readonly HostedConsumerOptions _options;
    private readonly CancellationToken _abort;
    private readonly TaskCompletionSource<BalancedConsumer> _consumerReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lanesLock = new();
    private readonly Dictionary<TopicAndPartition, PartitionLane> _lanes = [];
    private readonly List<PartitionLane> _touched = []; // the fetch loop's only
    private readonly List<BatchLane> _burst = []; // the fetch loop's only: batch lanes given messages since the consumer last ran dry
    private readonly SemaphoreSlim _capacity = new(0, 1);
    private readonly CancellationTokenSource _commitStop = new();
    private int _inFlight;
    private int _waitingForCapacity;
    private volatile int _share;

    public ConsumerSession(ConsumerContext context, CancellationToken abortHandling)
    {
        _context = context;
        _options = context.Options;
        _abort = abortHandling;
        _share = 1; // until partitions are assigned: a consume call waiting meanwhile takes one message, not the whole room
        Scheduler = new LaneScheduler(_options.MaxConcurrency, context.Logger, context.TopicsText, context.Group);
    }

    public TimeProvider Time => _context.Time;

    public LaneScheduler Scheduler { get; }

    /// <summary>The consumer, once created.</summary>
    public BalancedConsumer? Consumer => _consumerReady.Task.IsCompletedSuccessfully ? _consumerReady.Task.Result : null;

    /// <summary>Messages received and not yet handled, across the lanes.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The lanes of the partitions owned now.</summary>
    public IReadOnlyList<PartitionLane> Lanes
    {
        get
        {
            lock (_lanesLock)
            {
                return [.. _lanes.Values.OrderBy(l => l.Partition)];
            }
        }
    }

    /// <summary>
    /// Runs the consumer until <paramref name="stopping"/> (the host stops) or until it fails for good (the exception
    /// is thrown after cleaning up). Either way lanes finish what they handle (bounded), what was handled is committed,
    /// and the member leaves the group.
    /// </summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var consumer = _context.Runtime.Client.Cluster.GetBalancedConsumer(_context.Topics, _context.Group, ConsumerOptions());
        _consumerReady.SetResult(consumer);
        HostedConsumerLog.Started(_context.Logger, _context.TopicsText, _context.Group);
        await using var abortRegistration = _abort.Register(static state => ((ConsumerSession)state!).CancelAllHandlers(), this).ConfigureAwait(false);
        var commits = Task.Run(() => CommitLoopAsync(_commitStop.Token), CancellationToken.None);
        ExceptionDispatchInfo? failure = null;
        try
        {
            await FetchAsync(consumer, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && stopping.IsCancellationRequested))
        {
            failure = ExceptionDispatchInfo.Capture(ex);
        }
        await ShutdownAsync(consumer, commits, hostStopping: failure is null).ConfigureAwait(false);
        failure?.Throw();
    }

    /// <summary>The member's options: the user's, with the hosted consumer's own commits and callbacks.</summary>
    private BalancedConsumerOptions ConsumerOptions() =>
        HostedMemberOptions.Create(_options.Consumer, OnAssignedAsync, p => OnRevokedAsync(p, lost: false), p => OnRevokedAsync(p, lost: true));

    /// <summary>Takes batches while there is room, and hands each partition's run to its lane.</summary>
    private async Task FetchAsync(BalancedConsumer consumer, CancellationToken stopping)
    {
        var max = _options.MaxInFlightMessages;
        while (!stopping.IsCancellationRequested)
        {
            var room = max - Volatile.Read(ref _inFlight);
            if (room <= 0)
            {
                HandOverBehindPartials(consumer); // nothing more comes to the lanes until handlers make room
                await WaitForCapacityAsync(stopping).ConfigureAwait(false);
                continue;
            }
            MessageBatch batch;
            // At most one lane's share per call: a partition whose handler is stuck then holds at most about three
            // shares before it is paused, and not the room the other partitions need.
            var wanted = Math.Min(room, Math.Min(TakeLimit, _share));
            try
            {
                batch = await consumer.ConsumeBatchAsync(wanted, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (KafkaConsumeException ex)
            {
                HostedConsumerLog.PartitionError(_context.Logger, _context.TopicsText, _context.Group, ex.Message);
                continue;
            }
            Dispatch(batch);
            if (batch.Count < wanted)
            {
                HandOverBehindPartials(consumer); // the consumer has nothing more ready
            }
        }
    }

    /// <summary>
    /// The consumer has nothing more ready for the lanes (or there is no room to take it): a batch lane given messages
    /// since then hands its partial batch over at once if its partition is behind its end (more of it is a fetch away,
    /// and waiting would only idle the handler) or has just caught up (the partial batch ends a backlog, whose messages
    /// have waited already). A partition that stays caught up keeps its partial batch until it fills or
    /// <see cref="HostedConsumerOptions.MaxBatchWait"/> passes, so that a trickle of messages still makes batches.
    /// </summary>
    private void HandOverBehindPartials(BalancedConsumer consumer)
    {
        foreach (var lane in _burst)
        {
            lane.InBurst = false;
            var behind = consumer.GetLag(lane.Partition) > 0;
            if ((behind || lane.WasBehind) && lane.HoldsMessages)
            {
                lane.HandOverPartial();
            }
            lane.WasBehind = behind;
        }
        _burst.Clear();
    }

    /// <summary>Waits until handled messages make room (a lane's completion releases the wait).</summary>
    private async Task WaitForCapacityAsync(CancellationToken stopping)
    {
        Volatile.Write(ref _waitingForCapacity, 1);
        if (Volatile.Read(ref _inFlight) < _options.MaxInFlightMessages && Interlocked.Exchange(ref _waitingForCapacity, 0) == 1)
        {
            return; // room was made meanwhile, and no one will release the wait
        }
        try
        {
            await _capacity.WaitAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: the loop ends.
        }
    }

    /// <summary>Splits a batch into runs of one partition, retains each and queues it on its partition's lane.</summary>
    private void Dispatch(MessageBatch batch)
    {
        var count = batch.Count;
        if (count == 0)
        {
            return;
        }
        var start = 0;
        var first = batch[0];
        var topic = first.Topic;
        var partition = first.PartitionId;
        for (var i = 1; i < count; i++)
        {
            var message = batch[i];
            if (message.PartitionId != partition || !string.Equals(message.Topic, topic, StringComparison.Ordinal))
            {
                Dispatch(batch, start, i - start, new TopicAndPartition(topic, partition));
                start = i;
                topic = message.Topic;
                partition = message.PartitionId;
            }
        }
        Dispatch(batch, start, count - start, new TopicAndPartition(topic, partition));
        foreach (var lane in _touched)
        {
            PauseIfBusy(lane);
        }
        _touched.Clear();
    }

    private void Dispatch(MessageBatch batch, int start, int count, TopicAndPartition partition)
    {
        PartitionLane? lane;
        lock (_lanesLock)
        {
            _lanes.TryGetValue(partition, out lane);
        }
        if (lane is null || !lane.IsActive)
        {
            // Given up, or stopped by the failure policy: the messages stay uncommitted, and the partition's next
            // owner (or this member after the next rebalance) reads them again.
            return;
        }
        var run = batch.Retain(start, count);
        Interlocked.Add(ref _inFlight, count);
        if (!lane.Enqueue(run))
        {
            run.Dispose();
            Interlocked.Add(ref _inFlight, -count);
            return;
        }
        if (_touched.Count == 0 || !ReferenceEquals(_touched[^1], lane))
        {
            _touched.Add(lane);
        }
        if (lane is BatchLane { InBurst: false } batchLane)
        {
            batchLane.InBurst = true;
            _burst.Add(batchLane);
        }
    }

    /// <summary>
    /// A lane holding twice its share of <see cref="HostedConsumerOptions.MaxInFlightMessages"/> (its partition's handler is
    /// slower than the others') has its partition paused, so that it cannot take the room the other partitions need.
    /// Not at once at its share: while handlers keep up a lane's share comes in one consume call, and pausing drops what
    /// the consumer has already fetched for the partition, to be fetched again on resume.
    /// </summary>
    private void PauseIfBusy(PartitionLane lane)
    {
        var limit = 2 * _share;
        if (lane.Paused || lane.Pending < limit)
        {
            return;
        }
        lock (lane.PauseSync)
        {
            if (lane.Paused || !lane.IsActive || lane.Pending < limit)
            {
                return;
            }
            lane.Paused = true;
            Interlocked.MemoryBarrier(); // Paused is written before Pending is read again, as OnDone does the opposite
            Consumer?.Pause(lane.AsList);
            if (lane.Pending <= ResumeAt(lane))
            {
                // The lane worked through its messages while it was being paused, and its worker did not see the pause.
                lane.Paused = false;
                Consumer?.Resume(lane.AsList);
                return;
            }
        }
        HostedConsumerLog.Paused(_context.Logger, lane.Partition.ToString(), _context.Group, lane.Pending);
    }

    /// <summary>Messages of a lane are done: room for more, and its partition resumes once the lane has worked through half its share.</summary>
    public void OnDone(PartitionLane lane, int count)
    {
        var inFlight = Interlocked.Add(ref _inFlight, -count);
        if (lane.Paused && lane.IsActive && lane.Pending <= ResumeAt(lane))
        {
            lock (lane.PauseSync)
            {
                if (lane.Paused && lane.IsActive && lane.Pending <= ResumeAt(lane))
                {
                    lane.Paused = false;
                    Consumer?.Resume(lane.AsList);
                }
            }
        }
        if (inFlight < _options.MaxInFlightMessages && Interlocked.Exchange(ref _waitingForCapacity, 0) == 1)
        {
            _capacity.Release();
        }
    }

    /// <summary>
    /// How few messages a paused lane holds when its partition resumes: half its share; for a batch lane at least a
    /// batch (up to its share), so that the fetch after the resume overlaps the last batches instead of the lane
    /// running dry, or waiting for <see cref="HostedConsumerOptions.MaxBatchWait"/> with a partial batch.
    /// </summary>
    private int ResumeAt(PartitionLane lane)
    {
        var share = _share;
        return lane is BatchLane ? Math.Min(Math.Max(share / 2, _options.MaxBatchSize), share) : share / 2;
    }

    /// <summary>The failure policy stopped a lane: its partition is paused for good (until it is given up).</summary>
    public void OnStopped(PartitionLane lane)
    {
        lock (lane.PauseSync)
        {
            lane.Paused = true;
            Consumer?.Pause(lane.AsList);
        }
    }

    private PartitionLane NewLane(TopicAndPartition partition, long committed) =>
        _context.Registration.Kind == HandlerKind.Batch
            ? new BatchLane(this, partition, committed, _options.MaxBatchSize, _options.MaxBatchWait)
            : _options.Ordering == MessageOrdering.Partition
                ? new OrderedLane(this, partition, committed)
                : new KeyedLane(this, partition, committed, _options.MaxConcurrency, byKey: _options.Ordering == MessageOrdering.Key);

    private void CancelAllHandlers()
    {
        foreach (var lane in Lanes)
        {
            lane.CancelHandlers();
        }
    }
}
