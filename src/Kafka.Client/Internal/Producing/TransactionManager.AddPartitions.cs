using Kafka.Client.Protocol;

namespace Kafka.Client.Internal.Producing;

/// <summary>The transaction manager's background loop that adds partitions to the transaction (AddPartitionsToTxn).</summary>
internal sealed partial class TransactionManager
{
    /// <summary>
    /// Sends AddPartitionsToTxn for the partitions batches were begun in, batching whatever queued up meanwhile.
    /// Partitions that join wake their senders; a partition that cannot join fails its messages (the transaction must
    /// then abort); retriable answers are retried with backoff.
    /// </summary>
    private async Task AddPartitionsLoopAsync()
    {
        var token = _lifetime.Token;
        var failures = 0;
        while (true)
        {
            await _addSignal.WaitAsync().ConfigureAwait(false);
            if (token.IsCancellationRequested)
            {
                return;
            }
            KeyValuePair<PartitionQueue, ProducerEngine>[] pending;
            int number;
            lock (_lock)
            {
                pending = [.. _pendingAdds];
                number = _number;
            }
            if (pending.Length == 0 || ProducerId is not { } pid)
            {
                continue;
            }
            try
            {
                var add = AddPartitionsAsync(pending, number, pid, token);
                _addInFlight = add;
                var retry = await add.ConfigureAwait(false);
                failures = retry ? failures + 1 : 0;
                if (retry)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(_options.RetryBackoffMax.TotalMilliseconds,
                        _options.RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 20)))), _time, token).ConfigureAwait(false);
                    _addSignal.Set();
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                TransactionLog.LoopError(_logger, ex, TransactionalId);
                _addSignal.Set();
            }
        }
    }

    /// <summary>One AddPartitionsToTxn for <paramref name="pending"/>; true when some must be tried again.</summary>
    private async Task<bool> AddPartitionsAsync(KeyValuePair<PartitionQueue, ProducerEngine>[] pending, int number, (long Id, short Epoch) pid, CancellationToken token)
    {
        var topics = pending.GroupBy(p => p.Value.TopicName, StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlyList<int>)[.. g.Select(p => p.Key.Id)])).ToList();
        AddPartitionsToTxnResponse response;
        Broker? coordinator = null;
        try
        {
            coordinator = _coordinator ??= await FindCoordinatorAsync(TransactionalId, FindCoordinatorRequest.TransactionKeyType, token).ConfigureAwait(false);
            response = await coordinator.SendAsync(ConnectionKind.General, new AddPartitionsToTxnRequest
            {
                TransactionalId = TransactionalId, ProducerId = pid.Id, ProducerEpoch = pid.Epoch, Topics = topics,
            }, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or KafkaException { IsRetriable: true })
        {
            if (coordinator is not null)
            {
                Interlocked.CompareExchange(ref _coordinator, null, coordinator);
            }
            TransactionLog.Retrying(_logger, TransactionalId, "adding partitions to the transaction", ex.Message, 1);
            return true;
        }
        if (ProducerId != pid || Number != number)
        {
            // The transaction ended (or the epoch moved on) while the request was out: its answer concerns nothing current.
            return false;
        }
        var retry = false;
        foreach (var (queue, engine) in pending)
        {
            var code = response.Results.FirstOrDefault(r => r.Topic == engine.TopicName && r.Partition == queue.Id)?.ErrorCode
                       ?? KafkaErrorCode.UnknownServerError;
            if (code == KafkaErrorCode.None)
            {
                lock (_lock)
                {
                    _pendingAdds.Remove(queue);
                    _registered = true;
                    queue.TransactionNumber = number;
                }
                engine.Wake(queue);
                continue;
            }
            if (IsFencing(code))
            {
                Fence(code, $"adding {engine.TopicName}/{queue.Id} to the transaction");
                return false;
            }
            if (code is KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable)
            {
                Interlocked.CompareExchange(ref _coordinator, null, coordinator);
            }
            if (KafkaErrors.IsRetriable(code) || code is KafkaErrorCode.ConcurrentTransactions or KafkaErrorCode.CoordinatorLoadInProgress
                    or KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable or KafkaErrorCode.OperationNotAttempted)
            {
                retry = true;
                continue;
            }
            lock (_lock)
            {
                _pendingAdds.Remove(queue);
            }
            var error = new ProduceFailureException(
                $"{engine.TopicName}/{queue.Id} could not join the transaction of '{TransactionalId}': {KafkaErrors.GetName(code)} ({KafkaErrors.GetDescription(code)})",
                engine.TopicName, queue.Id, code);
            OnMessagesFailed(error);
            engine.FailUnsent(queue, error);
        }
        return retry;
    }
}
