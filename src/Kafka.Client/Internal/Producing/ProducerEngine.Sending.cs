using System.Diagnostics;
using Kafka.Client.Protocol;

namespace Kafka.Client.Internal.Producing;

internal sealed partial class ProducerEngine
{
    /// <summary>Whether senders may take batches: not while the producer id is awaited or being reset.</summary>
    public bool CanSend => !_idempotent || (_identity.IsIdempotent && !_resetting);

    /// <summary>Whether lingering is off for now (a flush, sync mode, disposal).</summary>
    private bool Hurry => _lingerTicks == 0 || Volatile.Read(ref _flushes) > 0 || _state != Running;

    /// <summary>
    /// Takes the batches the next request of <paramref name="sender"/> carries: at most one per partition the broker
    /// leads, oldest first, within MaxRequestSize, skipping partitions that must wait (backoff, in-flight limits). Seals
    /// open batches that lingered long enough, fails batches past the delivery timeout, and reports in
    /// <paramref name="nextWake"/> when something will next become ready. The batches go to <paramref name="taken"/>;
    /// false when there are none.
    /// </summary>
    public bool Collect(BrokerSender sender, long now, ref long nextWake, out Broker? broker, List<(PartitionQueue Queue, ProducerBatch Batch)> taken)
    {
        broker = null;
        List<(PartitionQueue, ProducerBatch)>? expired = null;
        var budget = (long)_options.MaxRequestSize - RequestOverhead;
        var hurry = Hurry;
        var queues = _queues;
        var start = sender.NextStart;
        var brokerId = sender.BrokerId;
        var maxInFlight = MaxInFlight;
        for (var n = 0; n < queues.Length; n++)
        {
            var queue = queues[(start + n) % queues.Length];
            var leader = queue.Partition.Leader;
            if (leader is null || leader.Id != brokerId)
            {
                continue;
            }
            lock (queue.Lock)
            {
                var inFlight = queue.InFlight.Count;
                if (queue.Open is { } open && queue.Ready.Count == 0)
                {
                    var due = open.CreatedAt + _lingerTicks;
                    if (due > now && !hurry)
                    {
                        nextWake = Math.Min(nextWake, due);
                    }
                    else if (inFlight == 0 || (maxInFlight > 1 && inFlight < maxInFlight && queue.InFlightBrokerId == brokerId))
                    {
                        // Sealed only when it can go now: while the partition waits for a response, the open batch
                        // keeps filling (a response wakes this sender again).
                        CloseOpen(queue);
                    }
                }
                while (queue.Ready.Count > 0 && now - queue.Ready[0].CreatedAt >= _deliveryTimeoutTicks && queue.InFlight.Count == 0)
                {
                    (expired ??= []).Add((queue, queue.Ready[0]));
                    queue.Ready.RemoveAt(0);
                }
                if (queue.Ready.Count == 0)
                {
                    continue;
                }
                if (_transaction is not null && queue.TransactionNumber != _transaction.Number && !_transaction.RequestAdd(this, queue))
                {
                    // Not in the transaction yet: AddPartitionsToTxn first (transactions V1); its answer wakes the senders.
                    continue;
                }
                var head = queue.Ready[0];
                if (head.IdentityGeneration != _identity.Generation)
                {
                    // Stamped before the current producer id or epoch; the identity change restamps it.
                    continue;
                }
                var allowed = inFlight == 0
                    || (maxInFlight > 1 && inFlight < maxInFlight && queue.InFlightBrokerId == brokerId && head.Attempts == 0 && head.IdentityGeneration == queue.InFlight[0].IdentityGeneration);
                if (!allowed)
                {
                    continue;
                }
                if (head.RetryAt > now)
                {
                    nextWake = Math.Min(nextWake, head.RetryAt);
                    continue;
                }
                var size = head.Size + PartitionOverhead;
                if (size > budget)
                {
                    // Full: this one goes in the next request; wake again right after this one is sent.
                    nextWake = now;
                    continue;
                }
                budget -= size;
                queue.Ready.RemoveAt(0);
                queue.InFlight.Add(head);
                queue.InFlightBrokerId = brokerId;
                head.WasSent = true;
                broker ??= leader;
                taken.Add((queue, head));
            }
        }
        sender.NextStart = queues.Length == 0 ? 0 : (start + 1) % queues.Length;
        if (expired is not null)
        {
            foreach (var (queue, batch) in expired)
            {
                Finish(queue, batch, -1, -1, DeliveryTimedOut(queue, batch));
            }
        }
        return taken.Count > 0;
    }

    private ProduceFailureException DeliveryTimedOut(PartitionQueue queue, ProducerBatch batch) =>
        new($"{batch.Count} message(s) for {TopicName}/{queue.Id} were not delivered within DeliveryTimeout ({_options.DeliveryTimeout})"
            + (batch.LastError is null ? "." : $"; last error: {batch.LastError.Message}"),
            TopicName, queue.Id, (batch.LastError as ProduceFailureException)?.ErrorCode ?? KafkaErrorCode.None, batch.LastError);

    public void RequestStarted() => Interlocked.Increment(ref _inFlightRequests);

    public void RequestDone()
    {
        Interlocked.Decrement(ref _inFlightRequests);
        _requestDone.Set();
    }

    /// <summary>Applies a produce response (null for acks = 0) to the batches of its request.</summary>
    public void OnResponse(int brokerId, List<(PartitionQueue Queue, ProducerBatch Batch)> batches, ProduceResponse? response)
    {
        ArraySegment<ProducePartitionResponse> results = default;
        if (response is not null)
        {
            foreach (var topic in response.Topics)
            {
                if (string.Equals(topic.Name, TopicName, StringComparison.Ordinal))
                {
                    results = topic.Partitions;
                    break;
                }
            }
        }
        for (var i = 0; i < batches.Count; i++)
        {
            var (queue, batch) = batches[i];
            if (response is null)
            {
                HandleResult(queue, batch, brokerId, KafkaErrorCode.None, -1, -1, null);
                continue;
            }
            if (Find(results, queue.Id, i) is not { } result)
            {
                HandleResult(queue, batch, brokerId, KafkaErrorCode.None, -1, -1,
                    new KafkaProtocolException($"The produce response of broker {brokerId} has no result for {TopicName}/{queue.Id}."));
            }
            else
            {
                HandleResult(queue, batch, brokerId, result.ErrorCode, result.BaseOffset, result.LogAppendTimeMs, null, result.ErrorMessage);
            }
        }
    }

    private static ProducePartitionResponse? Find(ArraySegment<ProducePartitionResponse> results, int partition, int hint)
    {
        if (results.Array is null)
        {
            return null;
        }
        if (hint < results.Count && results[hint].Index == partition)
        {
            return results[hint];
        }
        foreach (var result in results)
        {
            if (result.Index == partition)
            {
                return result;
            }
        }
        return null;
    }

    /// <summary>A request failed as a whole (no connection, a lost connection, a timeout): every batch in it did.</summary>
    public void OnRequestFailed(int brokerId, List<(PartitionQueue Queue, ProducerBatch Batch)> batches, Exception error)
    {
        if (error is not OperationCanceledException)
        {
            ProducerLog.RequestFailed(_logger, TopicName, brokerId, error.Message, batches.Count);
        }
        foreach (var (queue, batch) in batches)
        {
            HandleResult(queue, batch, brokerId, KafkaErrorCode.None, -1, -1, error);
        }
    }

    /// <summary>
    /// Decides a batch's fate after an attempt: delivered, retried (back in its partition's queue, in order, after a
    /// backoff, with a metadata refresh or a new producer epoch when the error calls for one), or failed.
    /// </summary>
    private void HandleResult(PartitionQueue queue, ProducerBatch batch, int brokerId, KafkaErrorCode code, long baseOffset,
        long logAppendTime, Exception? transportError, string? brokerMessage = null)
    {
        bool earlierPending;
        lock (queue.Lock)
        {
            queue.InFlight.Remove(batch);
            earlierPending = queue.HasEarlierThan(batch);
        }
        if (transportError is null && code == KafkaErrorCode.None)
        {
            Finish(queue, batch, baseOffset, logAppendTime, null);
            return;
        }
        if (transportError is null && code == KafkaErrorCode.DuplicateSequenceNumber && batch.ProducerId >= 0)
        {
            // The broker already has this batch (an earlier attempt was written): delivered, offset unknown.
            Finish(queue, batch, -1, -1, null);
            return;
        }
        if (_state == Stopped || (transportError is OperationCanceledException && _lifetime.IsCancellationRequested))
        {
            Finish(queue, batch, -1, -1, new ProducerDisposedException(
                $"The producer was disposed before {batch.Count} message(s) for {TopicName}/{queue.Id} were acknowledged; whether they were written is unknown.", transportError));
            return;
        }

        var retriable = false;
        var refresh = false;
        var resetIdentity = false;
        var countsAsAttempt = true;
        Exception cause;
        if (transportError is not null)
        {
            cause = transportError;
            retriable = transportError is KafkaException { IsRetriable: true } or KafkaProtocolException;
            refresh = retriable;
        }
        else
        {
            cause = new ProduceFailureException(
                $"Broker {brokerId} refused {batch.Count} message(s) for {TopicName}/{queue.Id}: {KafkaErrors.GetName(code)}"
                + (brokerMessage is null ? $" ({KafkaErrors.GetDescription(code)})" : $" ({brokerMessage})"),
                TopicName, queue.Id, code);
            if (batch.ProducerId >= 0 && code == KafkaErrorCode.OutOfOrderSequenceNumber)
            {
                retriable = true;
                if (earlierPending)
                {
                    // It overtook a predecessor that has to be written first; not this batch's fault.
                    countsAsAttempt = false;
                }
                else if (_transaction is null)
                {
                    resetIdentity = true;
                }
                else
                {
                    // In a transaction the transaction must abort instead; the abort gives a new epoch.
                    retriable = false;
                }
            }
            else if (_transaction is not null && TransactionManager.IsFencing(code))
            {
                // Another producer took the transactional id: nothing of this one may be written any more.
                _transaction.Fence(code, $"producing to {TopicName}/{queue.Id} (broker {brokerId})");
            }
            else if (_transaction is not null && code is KafkaErrorCode.UnknownProducerId
                         or KafkaErrorCode.InvalidProducerIdMapping or KafkaErrorCode.InvalidTxnState or KafkaErrorCode.TransactionAbortable)
            {
                // In a transaction these end the transaction, not the producer: the batch fails, the transaction must
                // abort, and the abort gives the producer a new epoch (KIP-360).
            }
            else if (batch.ProducerId >= 0 && code is KafkaErrorCode.UnknownProducerId or KafkaErrorCode.InvalidProducerEpoch or KafkaErrorCode.ProducerFenced)
            {
                retriable = true;
                resetIdentity = true;
            }
            else
            {
                retriable = KafkaErrors.IsRetriable(code);
                refresh = NeedsMetadata(code);
            }
        }

        if (countsAsAttempt)
        {
            batch.Attempts++;
        }
        var now = Now;
        if (_transaction is { DropsRetries: true })
        {
            // The transaction is being aborted (or the producer was fenced): nothing more is sent in it.
            retriable = false;
        }
        if (!retriable || batch.Attempts > _options.MaxRetries || now - batch.CreatedAt >= _deliveryTimeoutTicks || queue.IsGone)
        {
            var error = cause as ProduceFailureException;
            if (error is null || retriable)
            {
                var why = !retriable ? "a non-retriable error"
                    : queue.IsGone ? "its partition left the cluster metadata"
                    : batch.Attempts > _options.MaxRetries ? $"{batch.Attempts} attempts (MaxRetries {_options.MaxRetries})"
                    : $"DeliveryTimeout ({_options.DeliveryTimeout})";
                error = new ProduceFailureException(
                    $"{batch.Count} message(s) for {TopicName}/{queue.Id} were not delivered after {why}: {cause.Message}",
                    TopicName, queue.Id, (cause as ProduceFailureException)?.ErrorCode ?? (queue.IsGone ? KafkaErrorCode.UnknownTopicOrPartition : KafkaErrorCode.None), cause);
            }
            Finish(queue, batch, -1, -1, error);
            return;
        }

        var backoff = Backoff(Math.Max(batch.Attempts, 1));
        batch.LastError = cause;
        batch.RetryAt = now + Ticks(backoff);
        ProducerLog.Retrying(_logger, TopicName, queue.Id, cause.Message, batch.Attempts, backoff.TotalMilliseconds);
        lock (queue.Lock)
        {
            queue.Requeue(batch);
        }
        if (refresh)
        {
            RequestMetadata($"producing to {TopicName}/{queue.Id}: {cause.Message}");
        }
        if (resetIdentity)
        {
            RequestIdentityReset(batch.IdentityGeneration, $"{KafkaErrors.GetName(code)} from broker {brokerId} for {TopicName}/{queue.Id}");
        }
        Wake(queue);
    }

    /// <summary>Errors that mean the client's idea of the partition's leader is stale.</summary>
    private static bool NeedsMetadata(KafkaErrorCode code) => code is KafkaErrorCode.NotLeaderOrFollower
        or KafkaErrorCode.UnknownTopicOrPartition or KafkaErrorCode.LeaderNotAvailable or KafkaErrorCode.NetworkException
        or KafkaErrorCode.ReplicaNotAvailable or KafkaErrorCode.KafkaStorageError or KafkaErrorCode.FencedLeaderEpoch
        or KafkaErrorCode.UnknownLeaderEpoch or KafkaErrorCode.UnknownTopicId or KafkaErrorCode.InconsistentTopicId
        or KafkaErrorCode.NotEnoughReplicas;

    /// <summary>
    /// Ends a batch: every awaiter and report learns the outcome, the queue places are given back (a reported message
    /// keeps its place until its report is read), flushes are told, and the batch returns to the pool. The batch must
    /// already be out of its partition's queues.
    /// </summary>
    private void Finish(PartitionQueue queue, ProducerBatch batch, long baseOffset, long logAppendTime, KafkaException? error)
    {
        if (error is not null)
        {
            // Before anyone learns of the failure, so that a commit awaited after it sees it.
            _transaction?.OnMessagesFailed(error);
        }
        var reported = 0;
        var observed = 0;
        var delivered = error is null;
        foreach (ref readonly var slot in batch.Slots)
        {
            // A log-append time that is no time (-1: the topic keeps create times; or past year 9999) gives way to the create time.
            var timestamp = DateTimeOffset.FromUnixTimeMilliseconds(UnixTime.IsTime(logAppendTime) ? logAppendTime : slot.Timestamp);
            var offset = delivered && baseOffset >= 0 ? baseOffset + slot.Index : -1;
            var report = new DeliveryReport(TopicName, queue.Id, offset, timestamp, error,
                slot.Completion is null ? slot.Key : null, slot.Completion is null ? slot.Value : null);
            if (slot.Activity is { } activity)
            {
                MessagingTelemetry.EndSend(activity, queue.Id, offset, error);
                if (slot.Completion is null && _reports is null)
                {
                    continue; // traced, and nobody else waits for it
                }
            }
            observed++;
            if (slot.Completion is { } completion)
            {
                completion.Complete(report);
            }
            else if (_reports is not null && _reports.Writer.TryWrite(report))
            {
                reported++;
            }
        }
        if (error is not null && observed < batch.Count)
        {
            ProducerLog.MessagesFailed(_logger, TopicName, queue.Id, batch.Count - observed, error.Message);
        }
        if (MessagingTelemetry.SentMessages.Enabled || MessagingTelemetry.OperationDuration.Enabled || MessagingTelemetry.BatchSize.Enabled
            || MessagingTelemetry.SentBytes.Enabled)
        {
            RecordSent(queue, batch, error);
        }
        Gate.Release(batch.Count - reported);
        ReturnBatch(batch);
        if (Volatile.Read(ref _flushes) > 0)
        {
            CheckFlushWaiters();
        }
    }

    /// <summary>A batch ended: its messages, bytes, size and send duration, for whoever listens.</summary>
    private void RecordSent(PartitionQueue queue, ProducerBatch batch, KafkaException? error)
    {
        var tags = new TagList
        {
            ClientTelemetry.SystemTag,
            MessagingTelemetry.SendOperation,
            ClientTag,
            { KafkaTelemetry.DestinationTag, TopicName },
            { KafkaTelemetry.PartitionTag, MessagingTelemetry.PartitionId(queue.Id) },
        };
        if (error is not null)
        {
            tags.Add(KafkaTelemetry.ErrorTypeTag, MessagingTelemetry.ErrorType(error));
        }
        MessagingTelemetry.SentMessages.Add(batch.Count, in tags);
        MessagingTelemetry.OperationDuration.Record(_time.GetElapsedTime(batch.CreatedAt).TotalSeconds, in tags);
        if (error is null)
        {
            MessagingTelemetry.SentBytes.Add(batch.Size, in tags);
            MessagingTelemetry.BatchSize.Record(batch.Count, in tags);
        }
    }

    /// <summary>Fails every batch that is not in flight (disposal after the pending timeout, or a partition that left).</summary>
    private int FailQueued(PartitionQueue queue, Func<ProducerBatch, KafkaException> error)
    {
        List<ProducerBatch>? batches = null;
        lock (queue.Lock)
        {
            if (queue.Open is { } open)
            {
                queue.Open = null;
                open.Detach();
                (batches ??= []).Add(open);
            }
            if (queue.Ready.Count > 0)
            {
                (batches ??= []).AddRange(queue.Ready);
                queue.Ready.Clear();
            }
        }
        if (batches is null)
        {
            return 0;
        }
        var count = 0;
        foreach (var batch in batches)
        {
            count += batch.Count;
            Finish(queue, batch, -1, -1, error(batch));
        }
        return count;
    }
}
