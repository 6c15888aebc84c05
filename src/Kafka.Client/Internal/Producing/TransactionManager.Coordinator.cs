using Kafka.Client.Protocol;

namespace Kafka.Client.Internal.Producing;

/// <summary>
/// The transaction manager's coordinator requests: finding the transaction and group coordinators, InitProducerId and
/// the producer id every engine adopts, and the retries every coordinator call runs in.
/// </summary>
internal sealed partial class TransactionManager
{
    private void AdoptProducerId(long producerId, short epoch)
    {
        ProducerId = (producerId, epoch);
        TransactionLog.Initialized(_logger, TransactionalId, producerId, epoch, _v2 ? 2 : 1);
        foreach (var engine in Engines())
        {
            engine.AdoptIdentity(producerId, epoch);
        }
    }

    /// <summary>A group's coordinator, found once and kept until it moves or its connection fails (not looked up per transaction).</summary>
    private async Task<Broker> GroupCoordinatorAsync(string groupId, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_groupCoordinators.TryGetValue(groupId, out var known))
            {
                return known;
            }
        }
        var found = await FindCoordinatorAsync(groupId, FindCoordinatorRequest.GroupKeyType, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _groupCoordinators[groupId] = found;
        }
        return found;
    }

    private void ForgetGroupCoordinator(string groupId)
    {
        lock (_lock)
        {
            _groupCoordinators.Remove(groupId);
        }
    }

    /// <summary>Whether the group's coordinator serves TxnOffsetCommit v5, which adds the group to a V2 transaction itself.</summary>
    private async Task<bool> GroupCoordinatorServesV2Async(string groupId, CancellationToken cancellationToken)
    {
        var serves = false;
        await RetryAsync($"finding the coordinator of group '{groupId}'", async token =>
        {
            var coordinator = await GroupCoordinatorAsync(groupId, token).ConfigureAwait(false);
            try
            {
                var connection = await coordinator.GetConnectionAsync(ConnectionKind.General, token).ConfigureAwait(false);
                serves = connection.Versions.TryNegotiate(KnownApis.TxnOffsetCommit, out var version) && version >= 5;
            }
            catch (Exception ex) when (ex is IOException or KafkaException { IsRetriable: true })
            {
                ForgetGroupCoordinator(groupId);
                throw;
            }
            return KafkaErrorCode.None;
        }, cancellationToken).ConfigureAwait(false);
        return serves;
    }

    /// <summary>
    /// Whether a broker's ApiVersions answer allows transactions V2 (see <see cref="UsesTransactionsV2"/>): the cluster
    /// finalized <c>transaction.version</c> 2, and the versions V2 sends can be negotiated (a <c>BrokerVersion</c> cap
    /// below them keeps V1, whose explicit adds the older versions need). AddPartitionsToTxn v4+ is not asked for:
    /// V2 never sends it, and every broker that finalizes the feature serves it.
    /// </summary>
    internal static bool AllowsTransactionsV2(ApiVersionTable versions) =>
        versions.FinalizedLevel(TransactionVersionFeature) >= 2
        && versions.TryNegotiate(KnownApis.Produce, out var produce) && produce >= 12
        && versions.TryNegotiate(KnownApis.EndTxn, out var endTxn) && endTxn >= 5
        && versions.TryNegotiate(KnownApis.TxnOffsetCommit, out var offsets) && offsets >= 5;

    /// <summary>InitProducerId on the coordinator: a new id or epoch (fencing older producers), or with <paramref name="bump"/> the epoch after ours.</summary>
    private async Task InitProducerIdAsync(bool bump, CancellationToken cancellationToken)
    {
        InitProducerIdResponse? answer = null;
        await CoordinatorCallAsync("initializing the producer id", async (broker, token) =>
        {
            var connection = await broker.GetConnectionAsync(ConnectionKind.General, token).ConfigureAwait(false);
            var version = connection.Versions.Negotiate(KnownApis.InitProducerId);
            var request = new InitProducerIdRequest
            {
                TransactionalId = TransactionalId,
                TransactionTimeoutMs = (int)_options.TransactionTimeout.TotalMilliseconds,
            };
            if (bump && version >= 3 && ProducerId is { } current)
            {
                request.ProducerId = current.Id;
                request.ProducerEpoch = current.Epoch;
            }
            var response = await connection.SendAsync(request, version, broker.TimeoutFor(ConnectionKind.General), token).ConfigureAwait(false);
            answer = response;
            if (!bump && response.ErrorCode == KafkaErrorCode.None)
            {
                // Chosen once, at InitTransactions, from the coordinator's versions (as the Java client and franz-go do).
                _v2 = AllowsTransactionsV2(connection.Versions);
            }
            return response.ErrorCode;
        }, cancellationToken, initializing: true).ConfigureAwait(false);
        AdoptProducerId(answer!.ProducerId, answer.ProducerEpoch);
    }

    /// <summary>Sends what <paramref name="call"/> sends to the transaction coordinator, finding it (again) as needed, with retries.</summary>
    private Task CoordinatorCallAsync(string what, Func<Broker, CancellationToken, Task<KafkaErrorCode>> call, CancellationToken cancellationToken,
        bool initializing = false) =>
        RetryAsync(what, async token =>
        {
            var coordinator = _coordinator ??= await FindCoordinatorAsync(TransactionalId, FindCoordinatorRequest.TransactionKeyType, token).ConfigureAwait(false);
            KafkaErrorCode code;
            try
            {
                code = await call(coordinator, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or KafkaException { IsRetriable: true })
            {
                Interlocked.CompareExchange(ref _coordinator, null, coordinator);
                throw;
            }
            if (code is KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable)
            {
                Interlocked.CompareExchange(ref _coordinator, null, coordinator);
            }
            return code;
        }, cancellationToken, initializing);

    /// <summary>
    /// Runs <paramref name="attempt"/> until it answers NONE: retriable errors and lost connections are retried with
    /// backoff, within <see cref="ProducerOptions.DeliveryTimeout"/>; fencing errors fence the producer; other errors
    /// throw a <see cref="KafkaTransactionException"/> that requires an abort (or, while initializing, does not).
    /// </summary>
    private async Task RetryAsync(string what, Func<CancellationToken, Task<KafkaErrorCode>> attempt, CancellationToken cancellationToken, bool initializing = false)
    {
        using var bound = new CancellationTokenSource(_options.DeliveryTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token, _lifetime.Token);
        var token = linked.Token;
        Exception? last = null;
        for (var tries = 1; ; tries++)
        {
            KafkaErrorCode code;
            try
            {
                code = await attempt(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && bound.IsCancellationRequested)
            {
                throw TimedOut(what, last);
            }
            catch (Exception ex) when (ex is IOException or KafkaException { IsRetriable: true })
            {
                last = ex;
                LogRetry(what, ex.Message, tries);
                await DelayAsync(tries, what, last, bound, cancellationToken, token).ConfigureAwait(false);
                continue;
            }
            if (code == KafkaErrorCode.None)
            {
                return;
            }
            if (IsFencing(code))
            {
                Fence(code, what);
                ThrowIfFenced();
            }
            if (code == KafkaErrorCode.InvalidTransactionTimeout)
            {
                throw new KafkaTransactionException(
                    $"The coordinator refused TransactionTimeout ({_options.TransactionTimeout}) while {what}: INVALID_TRANSACTION_TIMEOUT (above the broker's transaction.max.timeout.ms).",
                    requiresAbort: false, code);
            }
            if (KafkaErrors.IsRetriable(code) || code is KafkaErrorCode.ConcurrentTransactions or KafkaErrorCode.CoordinatorLoadInProgress
                    or KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable or KafkaErrorCode.OperationNotAttempted)
            {
                last = new KafkaBrokerException(code, $"{KafkaErrors.GetName(code)} while {what}");
                LogRetry(what, KafkaErrors.GetName(code), tries);
                await DelayAsync(tries, what, last, bound, cancellationToken, token).ConfigureAwait(false);
                continue;
            }
            var message = code == KafkaErrorCode.TransactionAbortable
                ? $"TRANSACTION_ABORTABLE while {what}: the coordinator ended the transaction (it may have run past TransactionTimeout, {_options.TransactionTimeout})."
                : $"{KafkaErrors.GetName(code)} while {what} ({KafkaErrors.GetDescription(code)})";
            throw new KafkaTransactionException($"Transactional producer '{TransactionalId}': {message}", requiresAbort: !initializing, code);
        }
    }

    /// <summary>Logs the first retry of a streak only; the outcome (success, timeout, failure) ends it.</summary>
    private void LogRetry(string what, string reason, int tries)
    {
        if (tries == 1)
        {
            TransactionLog.Retrying(_logger, TransactionalId, what, reason, tries);
        }
    }

    private async Task DelayAsync(int tries, string what, Exception last, CancellationTokenSource bound, CancellationToken caller, CancellationToken token)
    {
        var ms = Math.Min(_options.RetryBackoffMax.TotalMilliseconds, _options.RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(tries - 1, 20)));
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(ms), _time, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested && bound.IsCancellationRequested)
        {
            throw TimedOut(what, last);
        }
    }

    private KafkaTimeoutException TimedOut(string what, Exception? last) =>
        new($"Transactional producer '{TransactionalId}': {what} did not succeed within DeliveryTimeout ({_options.DeliveryTimeout})"
            + (last is null ? "." : $"; last error: {last.Message}"), _options.DeliveryTimeout, last);

    /// <summary>FindCoordinator for a transactional id or a group, through any broker; a broker missing from the metadata refreshes it.</summary>
    private async Task<Broker> FindCoordinatorAsync(string key, sbyte keyType, CancellationToken cancellationToken)
    {
        var brokers = _cluster.Snapshot.Brokers.Values.ToArray();
        if (brokers.Length == 0)
        {
            await _cluster.UpdateAsync(cancellationToken).ConfigureAwait(false);
            brokers = _cluster.Snapshot.Brokers.Values.ToArray();
            if (brokers.Length == 0)
            {
                throw new NoBrokersAvailableException([]);
            }
        }
        var any = brokers[Random.Shared.Next(brokers.Length)];
        var kind = keyType == FindCoordinatorRequest.TransactionKeyType ? "transaction" : "group";
        var response = await any.SendAsync(ConnectionKind.General, new FindCoordinatorRequest { Keys = [key], KeyType = keyType }, cancellationToken).ConfigureAwait(false);
        var result = response.Coordinators.FirstOrDefault(c => c.Key == key) ?? response.Coordinators.FirstOrDefault()
            ?? throw new KafkaProtocolException($"FindCoordinator for {kind} '{key}' was answered without a coordinator.");
        if (result.ErrorCode != KafkaErrorCode.None)
        {
            if (IsFencing(result.ErrorCode) || result.ErrorCode is KafkaErrorCode.GroupAuthorizationFailed)
            {
                throw new KafkaTransactionException($"Finding the {kind} coordinator of '{key}' failed: {KafkaErrors.GetName(result.ErrorCode)}.", requiresAbort: false, result.ErrorCode);
            }
            throw new KafkaBrokerException(result.ErrorCode is KafkaErrorCode.CoordinatorNotAvailable or KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorLoadInProgress
                ? result.ErrorCode : KafkaErrorCode.CoordinatorNotAvailable,
                $"Finding the {kind} coordinator of '{key}': {KafkaErrors.GetName(result.ErrorCode)}{(result.ErrorMessage is null ? "" : $" ({result.ErrorMessage})")}.");
        }
        if (!_cluster.Brokers.TryGetValue(result.NodeId, out var coordinator))
        {
            await _cluster.UpdateAsync(cancellationToken).ConfigureAwait(false);
            coordinator = _cluster.Brokers.GetValueOrDefault(result.NodeId)
                ?? throw new KafkaBrokerException(KafkaErrorCode.CoordinatorNotAvailable, $"The {kind} coordinator of '{key}', broker {result.NodeId}, is not in the cluster metadata.");
        }
        TransactionLog.CoordinatorFound(_logger, TransactionalId, kind, key, coordinator.Id);
        return coordinator;
    }
}
