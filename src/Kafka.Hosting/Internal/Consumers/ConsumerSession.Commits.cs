using Kafka.Client;

namespace Kafka.Hosting.Internal;

internal sealed partial class ConsumerSession
{
    // Held while a commit is in flight, so that a revocation stores its final offsets after it.
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private bool _commitFailing; // the commit loop's only

    /// <summary>
    /// Every <see cref="HostedConsumerOptions.CommitInterval"/>, commits each lane's watermark that moved, in the
    /// background: handling never waits for a commit. A failed commit (coordinator moving or down) is tried again at the
    /// next interval and logged once per streak of failures.
    /// </summary>
    private async Task CommitLoopAsync(CancellationToken cancellationToken)
    {
        var consumer = await _consumerReady.Task.ConfigureAwait(false);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.CommitInterval, Time, cancellationToken).ConfigureAwait(false);
                await CommitAsync(consumer, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    private async Task CommitAsync(BalancedConsumer consumer, CancellationToken cancellationToken)
    {
        await _commitGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var offsets = new Dictionary<TopicAndPartition, long>();
            lock (_lanesLock)
            {
                foreach (var lane in _lanes.Values)
                {
                    var watermark = lane.Watermark;
                    if (!lane.IsClosing && watermark >= 0 && watermark > lane.Committed)
                    {
                        offsets[lane.Partition] = watermark;
                    }
                }
            }
            if (offsets.Count == 0)
            {
                return;
            }
            foreach (var (partition, offset) in offsets)
            {
                consumer.StoreOffset(partition, offset);
            }
            try
            {
                await consumer.CommitOffsetsAsync(offsets, cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaException ex)
            {
                if (!_commitFailing)
                {
                    _commitFailing = true;
                    HostedConsumerLog.CommitFailed(_context.Logger, string.Join(", ", offsets.Keys.Order()), _context.Group, _options.CommitInterval.TotalSeconds, ex.Message);
                }
                return;
            }
            // What the consumer says it committed: nothing while the group rebalances, only owned partitions.
            var committed = consumer.CommittedOffsets;
            var now = Time.GetTimestamp();
            lock (_lanesLock)
            {
                foreach (var partition in offsets.Keys)
                {
                    if (_lanes.TryGetValue(partition, out var lane) && committed.TryGetValue(partition, out var offset))
                    {
                        lane.OnCommitted(offset, now);
                    }
                }
            }
            if (_commitFailing)
            {
                _commitFailing = false;
                HostedConsumerLog.CommitRecovered(_context.Logger, _context.Group);
            }
        }
        finally
        {
            _commitGate.Release();
        }
    }
}
