namespace Kafka.Client.Internal.Producing;

internal sealed partial class ProducerEngine
{
    private readonly AsyncSignal _metadataSignal = new();
    private readonly Action _onMetadataChanged;
    private readonly Task _metadataLoop;
    private readonly Lock _flushLock = new();
    private readonly List<FlushWaiter> _flushWaiters = [];
    private int _flushes;
    private Task? _disposal;

    /// <summary>Adopts the client's latest metadata (new partitions, moved leaders) on this producer's metadata loop.</summary>
    public void AdoptMetadata() => _metadataSignal.Set();

    /// <summary>
    /// The producer needs newer metadata (a leader refused a batch, a partition has no leader): the client's metadata
    /// loop refreshes soon, coalescing this with everyone else's requests, and the new snapshot comes back through
    /// <see cref="AdoptMetadata"/>.
    /// </summary>
    public void RequestMetadata(string reason) => _cluster.ReportStaleMetadata(reason);

    /// <summary>
    /// Follows the client's snapshots: the producer runs no refresh schedule of its own, it reacts to every new
    /// snapshot and asks again while a partition with messages has no leader.
    /// </summary>
    private async Task MetadataLoopAsync()
    {
        var token = _lifetime.Token;
        while (true)
        {
            await _metadataSignal.WaitAsync().ConfigureAwait(false);
            if (token.IsCancellationRequested)
            {
                return;
            }
            try
            {
                RefreshQueues();
                if (LeaderlessWithWork() is { } leaderless)
                {
                    RequestMetadata($"producing to {TopicName}/{leaderless}, which has no known leader");
                }
                WakeAllSenders();
            }
            catch (Exception ex)
            {
                ProducerLog.LoopError(_logger, ex, "metadata", TopicName);
            }
        }
    }

    /// <summary>
    /// Brings the partition queues in line with the topic's latest metadata: new partitions get a queue, queues of
    /// partitions that left fail their messages, and leaderless partitions' batches past the delivery timeout fail.
    /// </summary>
    private void RefreshQueues()
    {
        List<PartitionQueue>? gone = null;
        lock (_queuesLock)
        {
            var topicKnown = _cluster.Snapshot.Topics.ContainsKey(TopicName) || _queues.Length == 0;
            var partitions = topicKnown ? _topic.Partitions : new Dictionary<int, Partition>();
            var old = _queues;
            var byId = new Dictionary<int, PartitionQueue>(old.Length);
            foreach (var queue in old)
            {
                byId[queue.Id] = queue;
            }
            var ids = partitions.Keys.Order().ToArray();
            var changed = ids.Length != old.Length;
            var updated = new PartitionQueue[ids.Length];
            for (var i = 0; i < ids.Length; i++)
            {
                var partition = partitions[ids[i]];
                if (byId.Remove(ids[i], out var queue))
                {
                    queue.Partition = partition;
                }
                else
                {
                    queue = new PartitionQueue(ids[i], partition);
                    changed = true;
                }
                changed |= old.Length <= i || old[i] != queue;
                updated[i] = queue;
            }
            if (changed)
            {
                _queues = updated;
            }
            foreach (var queue in byId.Values)
            {
                lock (queue.Lock)
                {
                    queue.IsGone = true;
                }
                (gone ??= []).Add(queue);
            }
        }
        if (gone is not null)
        {
            foreach (var queue in gone)
            {
                ProducerLog.PartitionGone(_logger, TopicName, queue.Id);
                FailQueued(queue, batch => new ProduceFailureException(
                    $"{batch.Count} message(s) for {TopicName}/{queue.Id} were not delivered: the partition left the cluster metadata.",
                    TopicName, queue.Id, KafkaErrorCode.UnknownTopicOrPartition));
            }
        }
        ExpireLeaderless();
    }

    /// <summary>Fails batches past the delivery timeout in partitions no sender looks at (no leader).</summary>
    private void ExpireLeaderless()
    {
        var now = Now;
        foreach (var queue in _queues)
        {
            if (queue.Partition.Leader is not null)
            {
                continue;
            }
            List<ProducerBatch>? expired = null;
            lock (queue.Lock)
            {
                if (queue.Open is { } open && now - open.CreatedAt >= _deliveryTimeoutTicks)
                {
                    queue.Open = null;
                    open.Detach();
                    (expired ??= []).Add(open);
                }
                while (queue.Ready.Count > 0 && queue.InFlight.Count == 0 && now - queue.Ready[0].CreatedAt >= _deliveryTimeoutTicks)
                {
                    (expired ??= []).Add(queue.Ready[0]);
                    queue.Ready.RemoveAt(0);
                }
            }
            if (expired is not null)
            {
                foreach (var batch in expired)
                {
                    Finish(queue, batch, -1, -1, DeliveryTimedOut(queue, batch));
                }
            }
        }
    }

    /// <summary>A partition with queued messages and no leader (then the loop keeps asking for metadata), or null.</summary>
    private int? LeaderlessWithWork()
    {
        foreach (var queue in _queues)
        {
            if (queue.Partition.Leader is null && queue.HasWork)
            {
                return queue.Id;
            }
        }
        return null;
    }

    /// <summary>Waits until every message accepted before the call is delivered or failed; lingering is off meanwhile.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _flushes);
        FlushWaiter? waiter = null;
        try
        {
            var queues = _queues;
            var targets = new long[queues.Length];
            for (var i = 0; i < queues.Length; i++)
            {
                lock (queues[i].Lock)
                {
                    targets[i] = queues[i].NextNumber - 1;
                }
            }
            waiter = new FlushWaiter(queues, targets);
            lock (_flushLock)
            {
                _flushWaiters.Add(waiter);
            }
            CheckFlushWaiters();
            WakeAllSenders();
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (waiter is not null)
            {
                lock (_flushLock)
                {
                    _flushWaiters.Remove(waiter);
                }
            }
            Interlocked.Decrement(ref _flushes);
        }
    }

    private void CheckFlushWaiters()
    {
        lock (_flushLock)
        {
            foreach (var waiter in _flushWaiters)
            {
                waiter.TryComplete();
            }
        }
    }

    private void OnClientClosed() => _ = StopAsync(new ProducerDisposedException($"The client of the producer for '{TopicName}' was disposed."), TimeSpan.Zero);

    /// <summary>
    /// Disposes: refuses new messages, waits up to PendingTimeout for the queued ones, fails the rest with
    /// <see cref="ProducerDisposedException"/>, then stops every loop and frees the buffers.
    /// </summary>
    public ValueTask DisposeAsync() =>
        new(StopAsync(new ProducerDisposedException($"The producer for '{TopicName}' was disposed."), _options.PendingTimeout));

    private Task StopAsync(ProducerDisposedException reason, TimeSpan pendingTimeout)
    {
        lock (_flushLock)
        {
            return _disposal ??= StopCoreAsync(reason, pendingTimeout);
        }
    }

    private async Task StopCoreAsync(ProducerDisposedException reason, TimeSpan pendingTimeout)
    {
        await Task.Yield();
        _state = Draining;
        Gate.Close(reason);
        if (pendingTimeout != TimeSpan.Zero && !_cluster.Lifetime.IsCancellationRequested)
        {
            using var timeout = new CancellationTokenSource(pendingTimeout, _time);
            try
            {
                await FlushAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Whatever is left fails below.
            }
        }
        _state = Stopped;
        var failed = 0;
        foreach (var queue in _queues)
        {
            failed += FailQueued(queue, batch => new ProducerDisposedException(
                $"{reason.Message} {batch.Count} message(s) for {TopicName}/{queue.Id} were still queued and were not sent.", reason));
        }
        if (failed > 0)
        {
            ProducerLog.DisposedWithPending(_logger, TopicName, failed);
        }
        _cluster.MetadataChanged -= _onMetadataChanged;
        MessagingTelemetry.Forget(this);
        await _lifetime.CancelAsync().ConfigureAwait(false);
        _requestDone.Set();
        _metadataSignal.Set();
        foreach (var sender in _senders.Values)
        {
            await sender.StopAsync().ConfigureAwait(false);
        }
        // In-flight requests end promptly once cancelled: the connection stops waiting for them.
        while (Volatile.Read(ref _inFlightRequests) > 0)
        {
            await _requestDone.WaitAsync().ConfigureAwait(false);
        }
        await _metadataLoop.ConfigureAwait(false);
        await _identityTask.ConfigureAwait(false);
        await _clientClosed.DisposeAsync().ConfigureAwait(false);
        // In-flight batches failed above; anything that slipped in since (a requeue racing the stop) fails now.
        foreach (var queue in _queues)
        {
            FailQueued(queue, batch => new ProducerDisposedException(
                $"{reason.Message} {batch.Count} message(s) for {TopicName}/{queue.Id} were not sent.", reason));
        }
        _reports?.Writer.TryComplete();
        while (_batchPool.TryDequeue(out var batch))
        {
            batch.Dispose();
        }
        foreach (var queue in _queues)
        {
            queue.Dispose();
        }
        lock (_flushLock)
        {
            foreach (var waiter in _flushWaiters)
            {
                waiter.Fail(reason);
            }
        }
        _lifetime.Dispose();
    }
}
