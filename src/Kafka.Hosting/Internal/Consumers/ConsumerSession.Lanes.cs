using System.Diagnostics;
using System.Runtime.CompilerServices;
using Kafka.Client;

namespace Kafka.Hosting.Internal;

internal sealed partial class ConsumerSession
{
    /// <summary>New partitions get lanes before any of their messages is handed out; lanes kept across the rebalance stay.</summary>
    private async Task OnAssignedAsync(IReadOnlyList<TopicAndPartition> partitions)
    {
        var consumer = await _consumerReady.Task.ConfigureAwait(false); // the first callback may come before GetBalancedConsumer returned
        var committed = consumer.CommittedOffsets;
        lock (_lanesLock)
        {
            foreach (var partition in partitions)
            {
                if (!_lanes.ContainsKey(partition))
                {
                    _lanes[partition] = NewLane(partition, committed.GetValueOrDefault(partition, -1));
                }
            }
            UpdateShare();
        }
    }

    /// <summary>
    /// Partitions are given up (revoked; or lost, when another member may own them already): only their lanes are
    /// closed. Handlers running for them may finish within <see cref="HostedConsumerOptions.DrainTimeout"/> (then they
    /// are cancelled); for a revocation the lanes' watermarks are stored, after any commit in flight, so that the
    /// consumer commits them before it lets the partitions go.
    /// </summary>
    private async Task OnRevokedAsync(IReadOnlyList<TopicAndPartition> partitions, bool lost)
    {
        var consumer = await _consumerReady.Task.ConfigureAwait(false);
        var lanes = new List<PartitionLane>(partitions.Count);
        lock (_lanesLock)
        {
            foreach (var partition in partitions)
            {
                if (_lanes.Remove(partition, out var lane))
                {
                    lanes.Add(lane);
                }
            }
            UpdateShare();
        }
        if (lanes.Count == 0)
        {
            return;
        }
        using var timeout = new CancellationTokenSource(_options.DrainTimeout, Time);
        await DrainAsync(lanes, timeout.Token).ConfigureAwait(false);
        if (lost)
        {
            return;
        }
        // A commit of the commit loop still in flight must land before the consumer's own, not after it.
        var gate = false;
        try
        {
            await _commitGate.WaitAsync(timeout.Token).ConfigureAwait(false);
            gate = true;
        }
        catch (OperationCanceledException)
        {
            // The commit loop is stuck on an unreachable coordinator: the consumer's commit fails the same way.
        }
        try
        {
            Store(consumer, lanes);
        }
        finally
        {
            if (gate)
            {
                _commitGate.Release();
            }
        }
    }

    /// <summary>Closes lanes and waits for their running handlers until <paramref name="bound"/>; then cancels those still running.</summary>
    private async Task DrainAsync(List<PartitionLane> lanes, CancellationToken bound)
    {
        var closing = new List<Task>(lanes.Count);
        foreach (var lane in lanes)
        {
            var closed = lane.CloseAsync();
            if (!closed.IsCompleted)
            {
                closing.Add(closed);
            }
        }
        if (closing.Count == 0)
        {
            return;
        }
        try
        {
            await Task.WhenAll(closing).WaitAsync(bound).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            var late = lanes.Where(l => !l.CloseAsync().IsCompleted).ToList();
            HostedConsumerLog.DrainTimedOut(_context.Logger, string.Join(", ", late.Select(l => l.Partition)), _context.Group, _options.DrainTimeout.TotalSeconds);
            foreach (var lane in late)
            {
                lane.CancelHandlers();
            }
        }
    }

    /// <summary>Stores the lanes' watermarks, so that the consumer's own commits (on revocation, on dispose) commit them.</summary>
    private static void Store(BalancedConsumer consumer, IEnumerable<PartitionLane> lanes)
    {
        foreach (var lane in lanes)
        {
            var watermark = lane.Watermark;
            if (watermark >= 0 && watermark > lane.Committed)
            {
                consumer.StoreOffset(lane.Partition, watermark);
            }
        }
    }

    /// <summary>
    /// Under the lanes lock: each lane's share of the in-flight limit, past which its partition is paused (and the most
    /// one consume call takes). One while nothing is owned, so that a call already waiting when partitions arrive takes
    /// a single message rather than the whole room.
    /// </summary>
    private void UpdateShare() => _share = _lanes.Count == 0 ? 1 : Math.Max(1, _options.MaxInFlightMessages / _lanes.Count);

    /// <summary>Handles one message for a lane; on failure applies the failure policy.</summary>
    public ValueTask<LaneResult> HandleAsync(PartitionLane lane, MessageView message)
    {
        // The process span (when someone listens) is the current span for the handler's call only.
        var previous = Activity.Current;
        var scope = KafkaTelemetry.StartProcess(in message, _context.Group);
        var pending = _context.Invoker.HandleAsync(message, lane.Token);
        if (scope.Activity is not null)
        {
            Activity.Current = previous;
        }
        if (pending.IsCompletedSuccessfully && pending.Result.Failure is null)
        {
            scope.End();
            return new ValueTask<LaneResult>(LaneResult.Handled);
        }
        return CompleteAsync(lane, message, pending, scope);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<LaneResult> CompleteAsync(PartitionLane lane, MessageView message, ValueTask<HandlerOutcome> pending, KafkaProcessScope scope)
    {
        HandlerOutcome outcome;
        try
        {
            outcome = await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            scope.End(ex);
            throw;
        }
        scope.End(outcome.Failure);
        if (outcome.Failure is not { } failure)
        {
            return LaneResult.Handled;
        }
        if (lane.Token.IsCancellationRequested || !lane.IsActive)
        {
            return LaneResult.Abandoned; // given up or shutting down: it stays unhandled
        }
        var (topic, partition, offset, group, logger) = (message.Topic, message.PartitionId, message.Offset, _context.Group, _context.Logger);
        if (outcome.Deserialization)
        {
            HostedConsumerLog.DeserializationFailed(logger, failure, topic, partition, offset, group);
        }
        else
        {
            HostedConsumerLog.HandlerFailed(logger, failure, topic, partition, offset, group);
        }
        switch (_options.FailurePolicy)
        {
            case HandlerFailurePolicy.SkipMessage:
                HostedConsumerLog.MessageSkipped(logger, topic, partition, offset, group);
                return LaneResult.Handled;
            case HandlerFailurePolicy.DeadLetter:
                if (await _context.DeadLetters!.ForwardAsync(message.ToConsumedMessage(), failure, lane.Token).ConfigureAwait(false))
                {
                    return LaneResult.Handled;
                }
                if (lane.Token.IsCancellationRequested)
                {
                    return LaneResult.Abandoned;
                }
                lane.Stop(offset);
                return LaneResult.Stopped;
            default:
                HostedConsumerLog.PartitionStopped(logger, topic, partition, offset, group);
                lane.Stop(offset);
                return LaneResult.Stopped;
        }
    }

    /// <summary>Handles one batch for a lane; on failure applies the failure policy to the whole batch.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<LaneResult> HandleBatchAsync(PartitionLane lane, MessageBatch batch)
    {
        var scope = KafkaTelemetry.StartProcess(batch, _context.Group);
        HandlerOutcome outcome;
        try
        {
            outcome = await _context.Invoker.HandleBatchAsync(batch, lane.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            scope.End(ex);
            throw;
        }
        scope.End(outcome.Failure);
        if (outcome.Failure is not { } failure)
        {
            return LaneResult.Handled;
        }
        if (lane.Token.IsCancellationRequested || !lane.IsActive)
        {
            return LaneResult.Abandoned;
        }
        var first = batch[0];
        var (group, logger) = (_context.Group, _context.Logger);
        HostedConsumerLog.BatchHandlerFailed(logger, failure, batch.Count, first.Topic, first.PartitionId, first.Offset, group);
        switch (_options.FailurePolicy)
        {
            case HandlerFailurePolicy.SkipMessage:
                HostedConsumerLog.BatchSkipped(logger, batch.Count, first.Topic, first.PartitionId, first.Offset, group);
                return LaneResult.Handled;
            case HandlerFailurePolicy.DeadLetter:
                if (await _context.DeadLetters!.ForwardAsync(batch, failure, lane.Token).ConfigureAwait(false))
                {
                    return LaneResult.Handled;
                }
                if (lane.Token.IsCancellationRequested)
                {
                    return LaneResult.Abandoned;
                }
                lane.Stop(first.Offset);
                return LaneResult.Stopped;
            default:
                HostedConsumerLog.PartitionStopped(logger, first.Topic, first.PartitionId, first.Offset, group);
                lane.Stop(first.Offset);
                return LaneResult.Stopped;
        }
    }

    /// <summary>
    /// Ends the session: no more messages start; handlers running finish (until the host's shutdown timeout when the
    /// host stops, else <see cref="HostedConsumerOptions.DrainTimeout"/>); the commit loop stops; the watermarks are
    /// stored and the consumer disposed, which commits them and leaves the group.
    /// </summary>
    private async Task ShutdownAsync(BalancedConsumer consumer, Task commits, bool hostStopping)
    {
        var lanes = Lanes.ToList();
        if (hostStopping)
        {
            // The host's shutdown timeout cancels _abort, which cancels the handlers; then they get DrainTimeout to return.
            var closing = Task.WhenAll(lanes.Select(l => l.CloseAsync()));
            try
            {
                await closing.WaitAsync(_abort).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                using var timeout = new CancellationTokenSource(_options.DrainTimeout, Time);
                await DrainAsync(lanes, timeout.Token).ConfigureAwait(false);
            }
        }
        else
        {
            using var timeout = new CancellationTokenSource(_options.DrainTimeout, Time);
            await DrainAsync(lanes, timeout.Token).ConfigureAwait(false);
        }
        await _commitStop.CancelAsync().ConfigureAwait(false);
        await commits.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            Store(consumer, lanes);
        }
        catch (ObjectDisposedException)
        {
            // Disposed already.
        }
        try
        {
            await consumer.DisposeAsync().ConfigureAwait(false); // its revocation finds the lanes drained, commits and leaves
        }
        catch (Exception ex) when (ex is KafkaException or ObjectDisposedException)
        {
            HostedConsumerLog.CloseFailed(_context.Logger, ex, _context.TopicsText, _context.Group);
        }
        lock (_lanesLock)
        {
            _lanes.Clear();
        }
        // Not awaited: a handler that ignored its cancellation must not keep the consumer from being replaced.
        _ = Scheduler.StopAsync();
    }
}
