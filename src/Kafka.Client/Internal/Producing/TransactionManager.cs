using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Producing;

/// <summary>
/// The transaction state of one <see cref="TransactionalProducer"/>, shared by the engines of the topics it writes
/// to (franz-go's and the Java client's transaction manager): the producer id and epoch from the transaction
/// coordinator, the state machine (ready, in a transaction, committing, aborting, abortable error, fenced), the
/// partitions added to the current transaction (AddPartitionsToTxn, sent in the background as batches begin), and
/// the coordinator requests of InitTransactions, SendOffsets, Commit and Abort with their retries.
/// </summary>
internal sealed partial class TransactionManager
{
    /// <summary>The feature whose finalized level 2 turns on transactions V2 (KIP-890 part 2).</summary>
    internal const string TransactionVersionFeature = "transaction.version";

    /// <summary>The highest EndTxn version outside transactions V2: v5 bumps the epoch at every end.</summary>
    internal const short MaxEndTxnVersionV1 = 4;

    /// <summary>The highest Produce version outside transactions V2: v12 adds partitions to the transaction implicitly.</summary>
    internal const short MaxProduceVersionV1 = 11;

    /// <summary>The highest TxnOffsetCommit version outside transactions V2: v5 adds the group to the transaction implicitly.</summary>
    internal const short MaxTxnOffsetCommitVersionV1 = 4;

    private readonly Cluster _cluster;
    private readonly ProducerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<ProducerEngine> _engines = [];
    private readonly Dictionary<PartitionQueue, ProducerEngine> _pendingAdds = [];
    private readonly HashSet<string> _groupsAdded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Broker> _groupCoordinators = new(StringComparer.Ordinal);
    private readonly AsyncSignal _addSignal = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Task _addLoop;
    private Broker? _coordinator;
    private volatile Task<bool> _addInFlight = Task.FromResult(false);
    private volatile TransactionState _state = TransactionState.Uninitialized;
    private volatile bool _v2;
    private int _number;
    private int _producing;
    private bool _registered;
    private KafkaException? _abortableError;
    private ProducerFencedException? _fenced;

    public TransactionManager(Cluster cluster, ProducerOptions options, TimeProvider time)
    {
        _cluster = cluster;
        _options = options;
        _time = time;
        TransactionalId = options.TransactionalId!;
        _logger = cluster.Settings.LoggerFactory.CreateLogger("Kafka.Client.Producer");
        _addLoop = Task.Run(AddPartitionsLoopAsync);
    }

    public string TransactionalId { get; }

    /// <summary>The producer id and epoch from the coordinator; null before InitTransactions.</summary>
    public (long Id, short Epoch)? ProducerId { get; private set; }

    public TransactionState State => _state;

    /// <summary>
    /// Whether this producer speaks transactions V2 (KIP-890 part 2), chosen at InitTransactions from the transaction
    /// coordinator's ApiVersions answer: the cluster finalized <c>transaction.version</c> 2 or more, and the broker
    /// serves Produce v12, EndTxn v5 and TxnOffsetCommit v5. Then produce requests add their
    /// partitions to the transaction, TxnOffsetCommit adds its group, and every EndTxn answers a new epoch.
    /// </summary>
    public bool UsesTransactionsV2 => _v2;

    /// <summary>The number of the current (or last) transaction; partitions remember the one they were added to.</summary>
    public int Number => Volatile.Read(ref _number);

    /// <summary>Whether failed sends end instead of retrying: the transaction is being aborted, or the producer is fenced.</summary>
    public bool DropsRetries => _state is TransactionState.Aborting or TransactionState.Fenced or TransactionState.Closed;

    /// <summary>The errors that mean another producer took the transactional id (or it may not be used at all).</summary>
    public static bool IsFencing(KafkaErrorCode code) =>
        code is KafkaErrorCode.ProducerFenced or KafkaErrorCode.InvalidProducerEpoch or KafkaErrorCode.TransactionalIdAuthorizationFailed;

    /// <summary>Adds the engine of a topic; it takes the current producer id, and later ones.</summary>
    public void Register(ProducerEngine engine)
    {
        (long Id, short Epoch)? current;
        lock (_lock)
        {
            _engines.Add(engine);
            current = ProducerId;
        }
        if (current is { } pid && (engine.Identity.Id != pid.Id || engine.Identity.Epoch != pid.Epoch))
        {
            // The epoch was bumped while the engine was being created.
            engine.AdoptIdentity(pid.Id, pid.Epoch);
        }
    }

    private ProducerEngine[] Engines()
    {
        lock (_lock)
        {
            return [.. _engines];
        }
    }

    /// <summary>Enters a produce call: only inside a transaction. Pair with <see cref="ExitProduce"/>.</summary>
    public void EnterProduce()
    {
        Interlocked.Increment(ref _producing);
        var state = _state;
        if (state == TransactionState.InTransaction)
        {
            return;
        }
        Interlocked.Decrement(ref _producing);
        ThrowIfFenced();
        if (state == TransactionState.AbortableError)
        {
            throw MustAbort("takes no more messages");
        }
        throw new InvalidOperationException(state switch
        {
            TransactionState.Uninitialized => $"Transactional producer '{TransactionalId}': call InitTransactionsAsync, then BeginTransaction, before producing.",
            TransactionState.Ready => $"Transactional producer '{TransactionalId}': no transaction is open; call BeginTransaction before producing.",
            TransactionState.Closed => $"Transactional producer '{TransactionalId}' was disposed.",
            _ => $"Transactional producer '{TransactionalId}': the transaction is {(state == TransactionState.Committing ? "committing" : "aborting")}; produce in the next one.",
        });
    }

    public void ExitProduce() => Interlocked.Decrement(ref _producing);

    /// <summary>
    /// Makes a partition part of the current transaction. In transactions V2 that takes no request (the Produce
    /// request adds it) and this returns true: the partition may be sent to now. Otherwise the partition is queued
    /// for AddPartitionsToTxn (no-op when it is queued already), whose answer wakes its sender, and this returns false.
    /// </summary>
    public bool RequestAdd(ProducerEngine engine, PartitionQueue queue)
    {
        lock (_lock)
        {
            if (queue.TransactionNumber == _number)
            {
                return true;
            }
            if (_v2)
            {
                if (_state is not (TransactionState.InTransaction or TransactionState.Committing))
                {
                    return false;
                }
                queue.TransactionNumber = _number;
                _registered = true;
                return true;
            }
            if (!_pendingAdds.TryAdd(queue, engine))
            {
                return false;
            }
        }
        _addSignal.Set();
        return false;
    }

    /// <summary>A batch failed: the transaction can no longer commit.</summary>
    public void OnMessagesFailed(KafkaException error)
    {
        lock (_lock)
        {
            if (_state is TransactionState.InTransaction or TransactionState.Committing)
            {
                _abortableError ??= error;
                if (_state == TransactionState.InTransaction)
                {
                    _state = TransactionState.AbortableError;
                }
            }
        }
    }

    /// <summary>
    /// Marks the producer fenced: every later call fails with <see cref="ProducerFencedException"/> and every unsent
    /// message fails with it too.
    /// </summary>
    public void Fence(KafkaErrorCode code, string where)
    {
        ProducerFencedException fenced;
        lock (_lock)
        {
            if (_fenced is not null || _state == TransactionState.Closed)
            {
                return;
            }
            var why = code == KafkaErrorCode.TransactionalIdAuthorizationFailed
                ? "the transactional id is not authorized"
                : "a newer producer with the same transactional id fenced this one (or the coordinator ended its transaction after TransactionTimeout and bumped the epoch)";
            fenced = new ProducerFencedException(
                $"Transactional producer '{TransactionalId}' is fenced: {KafkaErrors.GetName(code)} while {where}; {why}. It accepts no more work; dispose it.", code);
            _fenced = fenced;
            _state = TransactionState.Fenced;
        }
        TransactionLog.Fenced(_logger, TransactionalId, KafkaErrors.GetName(code), where);
        foreach (var engine in Engines())
        {
            engine.FailUnsent((topic, partition, batch) => new ProduceFailureException(
                $"{batch.Count} message(s) for {topic}/{partition} were not sent: {fenced.Message}", topic, partition, code, fenced));
            engine.WakeAllSenders();
        }
    }

    public void ThrowIfFenced()
    {
        if (_fenced is { } fenced)
        {
            throw new ProducerFencedException(fenced.Message, fenced.ErrorCode, fenced);
        }
    }

    /// <summary>InitProducerId with the transactional id: fences older producers of the id and completes what they left open.</summary>
    public async Task InitAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ThrowIfFenced();
            if (_state != TransactionState.Uninitialized)
            {
                throw new InvalidOperationException($"Transactional producer '{TransactionalId}' is already initialized.");
            }
        }
        await InitProducerIdAsync(bump: false, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_state == TransactionState.Uninitialized)
            {
                _state = TransactionState.Ready;
            }
        }
    }

    public void Begin()
    {
        lock (_lock)
        {
            ThrowIfFenced();
            if (_state != TransactionState.Ready)
            {
                throw new InvalidOperationException(_state == TransactionState.Uninitialized
                    ? $"Transactional producer '{TransactionalId}': call InitTransactionsAsync first."
                    : $"Transactional producer '{TransactionalId}': a transaction is already open ({_state}); commit or abort it first.");
            }
            _number++;
            _registered = false;
            _abortableError = null;
            _groupsAdded.Clear();
            _state = TransactionState.InTransaction;
        }
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ThrowIfFenced();
            if (_state == TransactionState.AbortableError)
            {
                throw MustAbort("cannot commit");
            }
            if (_state is not (TransactionState.InTransaction or TransactionState.Committing))
            {
                throw new InvalidOperationException($"Transactional producer '{TransactionalId}': no transaction to commit ({_state}).");
            }
            _state = TransactionState.Committing;
        }
        await DrainAsync(fail: null, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            ThrowIfFenced();
            if (_abortableError is not null)
            {
                _state = TransactionState.AbortableError;
                throw MustAbort("was not committed");
            }
        }
        if (_registered)
        {
            try
            {
                await EndAsync(commit: true, cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaTransactionException ex) when (ex.RequiresAbort)
            {
                lock (_lock)
                {
                    _abortableError ??= ex;
                    _state = TransactionState.AbortableError;
                }
                throw;
            }
        }
        lock (_lock)
        {
            if (_state == TransactionState.Committing)
            {
                _state = TransactionState.Ready;
            }
        }
        TransactionLog.Ended(_logger, TransactionalId, "committed", _number);
    }

    public async Task AbortAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ThrowIfFenced();
            if (_state is not (TransactionState.InTransaction or TransactionState.AbortableError or TransactionState.Committing or TransactionState.Aborting))
            {
                throw new InvalidOperationException($"Transactional producer '{TransactionalId}': no transaction to abort ({_state}).");
            }
            _state = TransactionState.Aborting;
        }
        var reason = _abortableError;
        await DrainAsync(reason, cancellationToken).ConfigureAwait(false);
        ThrowIfFenced();
        var ended = false;
        if (_registered)
        {
            await EndAsync(commit: false, cancellationToken).ConfigureAwait(false);
            ended = true;
        }
        // Messages failed unsent (or a failed batch) leave gaps in their partitions' sequence numbers: the next
        // transaction starts with a new epoch, which numbers every partition from 0 again (KIP-360). In transactions
        // V2 the EndTxn answer carried that new epoch already.
        if (!(_v2 && ended))
        {
            await InitProducerIdAsync(bump: true, cancellationToken).ConfigureAwait(false);
        }
        lock (_lock)
        {
            if (_state == TransactionState.Aborting)
            {
                _abortableError = null;
                _state = TransactionState.Ready;
            }
        }
        TransactionLog.Ended(_logger, TransactionalId, "aborted", _number);
    }

    private KafkaTransactionException MustAbort(string what) =>
        new($"The transaction of '{TransactionalId}' {what}: {_abortableError?.Message ?? "it failed"} Abort it (AbortTransactionAsync); the producer is then usable again.",
            requiresAbort: true, (_abortableError as ProduceFailureException)?.ErrorCode ?? (_abortableError as KafkaTransactionException)?.ErrorCode ?? KafkaErrorCode.None,
            _abortableError);

    /// <summary>
    /// Waits until every message of the transaction is delivered or failed: produce calls under way finish, each
    /// engine flushes. When aborting (<paramref name="fail"/> not null, or any abort) unsent messages fail instead.
    /// </summary>
    private async Task DrainAsync(KafkaException? fail, CancellationToken cancellationToken)
    {
        var aborting = _state == TransactionState.Aborting;
        for (var round = 0; round < 2; round++)
        {
            foreach (var engine in Engines())
            {
                if (aborting)
                {
                    engine.FailUnsent((topic, partition, batch) => new ProduceFailureException(
                        $"{batch.Count} message(s) for {topic}/{partition} were not sent: the transaction of '{TransactionalId}' was aborted"
                        + (fail is null ? "." : $" after an earlier failure: {fail.Message}"), topic, partition, KafkaErrorCode.None, fail));
                }
                await engine.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            // Produce calls that began before the state changed may still be appending; the second round covers them.
            while (Volatile.Read(ref _producing) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Task.Yield();
            }
        }
        // An AddPartitionsToTxn still under way must be answered before EndTxn: a partition it adds is in the transaction.
        try
        {
            await _addInFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The loop logs it; what it added (or not) is recorded either way.
        }
        if (aborting)
        {
            lock (_lock)
            {
                _pendingAdds.Clear();
            }
        }
    }

    public async Task SendOffsetsAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, ConsumerGroupMetadata group, CancellationToken cancellationToken)
    {
        bool addGroup;
        lock (_lock)
        {
            ThrowIfFenced();
            if (_state == TransactionState.AbortableError)
            {
                throw MustAbort("cannot take offsets");
            }
            if (_state != TransactionState.InTransaction)
            {
                throw new InvalidOperationException($"Transactional producer '{TransactionalId}': no transaction is open; call BeginTransaction before sending offsets.");
            }
            addGroup = !_groupsAdded.Contains(group.GroupId);
        }
        try
        {
            // In transactions V2, TxnOffsetCommit v5 adds the group itself; a group coordinator without v5 still needs AddOffsetsToTxn.
            var implicitGroup = _v2 && addGroup && await GroupCoordinatorServesV2Async(group.GroupId, cancellationToken).ConfigureAwait(false);
            if (implicitGroup)
            {
                lock (_lock)
                {
                    _groupsAdded.Add(group.GroupId);
                    _registered = true;
                }
            }
            else if (addGroup)
            {
                await CoordinatorCallAsync($"adding the offsets of group '{group.GroupId}' to the transaction", async (broker, token) =>
                {
                    var (pid, epoch) = ProducerId!.Value;
                    var response = await broker.SendAsync(ConnectionKind.General, new AddOffsetsToTxnRequest
                    {
                        TransactionalId = TransactionalId, ProducerId = pid, ProducerEpoch = epoch, GroupId = group.GroupId,
                    }, token).ConfigureAwait(false);
                    return response.ErrorCode;
                }, cancellationToken).ConfigureAwait(false);
                lock (_lock)
                {
                    _groupsAdded.Add(group.GroupId);
                    _registered = true;
                }
            }
            await CommitOffsetsAsync(offsets, group, cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaTransactionException ex) when (ex.RequiresAbort)
        {
            OnMessagesFailed(ex);
            throw;
        }
    }

    private async Task CommitOffsetsAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, ConsumerGroupMetadata group, CancellationToken cancellationToken)
    {
        var topics = offsets.GroupBy(o => o.Key.Topic, StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlyList<(int, long, int, string?)>)[.. g.Select(o => (o.Key.Partition, o.Value, -1, (string?)null))]))
            .ToList();
        Broker? coordinator = null;
        await RetryAsync($"committing offsets of group '{group.GroupId}' in the transaction", async token =>
        {
            coordinator ??= await GroupCoordinatorAsync(group.GroupId, token).ConfigureAwait(false);
            var (pid, epoch) = ProducerId!.Value;
            TxnOffsetCommitResponse response;
            try
            {
                var connection = await coordinator.GetConnectionAsync(ConnectionKind.General, token).ConfigureAwait(false);
                var version = connection.Versions.Negotiate(KnownApis.TxnOffsetCommit);
                if (!_v2)
                {
                    version = Math.Min(version, MaxTxnOffsetCommitVersionV1);
                }
                response = await connection.SendAsync(new TxnOffsetCommitRequest
                {
                    TransactionalId = TransactionalId, GroupId = group.GroupId, ProducerId = pid, ProducerEpoch = epoch,
                    GenerationId = group.GenerationId, MemberId = group.MemberId, GroupInstanceId = group.GroupInstanceId, Topics = topics,
                }, (short)version, coordinator.TimeoutFor(ConnectionKind.General), token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or KafkaException { IsRetriable: true })
            {
                ForgetGroupCoordinator(group.GroupId);
                coordinator = null;
                throw;
            }
            var failed = response.Results.FirstOrDefault(r => r.ErrorCode != KafkaErrorCode.None);
            var code = failed?.ErrorCode ?? KafkaErrorCode.None;
            if (code is KafkaErrorCode.NotCoordinator or KafkaErrorCode.CoordinatorNotAvailable)
            {
                ForgetGroupCoordinator(group.GroupId);
                coordinator = null;
            }
            return code;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// EndTxn on the coordinator, retried; a fencing answer fences the producer, others make the transaction abortable.
    /// In transactions V2 (EndTxn v5) the answer carries the producer id and epoch of the next transaction, which every
    /// engine adopts (sequences start again from 0).
    /// </summary>
    private async Task EndAsync(bool commit, CancellationToken cancellationToken)
    {
        TxnResponse? answer = null;
        await CoordinatorCallAsync(commit ? "committing the transaction" : "aborting the transaction", async (broker, token) =>
        {
            var (pid, epoch) = ProducerId!.Value;
            var connection = await broker.GetConnectionAsync(ConnectionKind.General, token).ConfigureAwait(false);
            var version = connection.Versions.Negotiate(KnownApis.EndTxn);
            if (!_v2)
            {
                version = Math.Min(version, MaxEndTxnVersionV1);
            }
            var response = await connection.SendAsync(new EndTxnRequest
            {
                TransactionalId = TransactionalId, ProducerId = pid, ProducerEpoch = epoch, Committed = commit,
            }, (short)version, broker.TimeoutFor(ConnectionKind.General), token).ConfigureAwait(false);
            answer = version >= 5 ? response : null;
            return response.ErrorCode;
        }, cancellationToken).ConfigureAwait(false);
        if (answer is { ProducerId: >= 0, ProducerEpoch: >= 0 })
        {
            AdoptProducerId(answer.ProducerId, answer.ProducerEpoch);
        }
        else if (_v2)
        {
            // An EndTxn v5 answer without an id (not what Kafka sends): a new epoch the V1 way keeps sequences right.
            await InitProducerIdAsync(bump: true, cancellationToken).ConfigureAwait(false);
        }
    }

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

    /// <summary>Stops the background loop; the producer's engines are disposed by their owner.</summary>
    public async Task CloseAsync()
    {
        lock (_lock)
        {
            if (_state != TransactionState.Fenced)
            {
                _state = TransactionState.Closed;
            }
        }
        await _lifetime.CancelAsync().ConfigureAwait(false);
        _addSignal.Set();
        await _addLoop.ConfigureAwait(false);
        _lifetime.Dispose();
    }

    /// <summary>Whether a transaction is open (begun and neither committed nor aborted).</summary>
    public bool HasOpenTransaction => _state is TransactionState.InTransaction or TransactionState.AbortableError or TransactionState.Committing or TransactionState.Aborting;

    private static partial class TransactionLog
    {
        [LoggerMessage(300, LogLevel.Information, "Transactional producer {TransactionalId}: producer id {ProducerId}, epoch {Epoch}, transactions V{TransactionVersion}")]
        public static partial void Initialized(ILogger logger, string transactionalId, long producerId, short epoch, int transactionVersion);

        [LoggerMessage(301, LogLevel.Debug, "Transactional producer {TransactionalId}: the {Kind} coordinator of '{Key}' is broker {BrokerId}")]
        public static partial void CoordinatorFound(ILogger logger, string transactionalId, string kind, string key, int brokerId);

        [LoggerMessage(302, LogLevel.Warning, "Transactional producer {TransactionalId}: {What} failed ({Reason}); retrying (attempt {Attempt})")]
        public static partial void Retrying(ILogger logger, string transactionalId, string what, string reason, int attempt);

        [LoggerMessage(303, LogLevel.Error, "Transactional producer {TransactionalId} is fenced: {Error} while {What}; it accepts no more work")]
        public static partial void Fenced(ILogger logger, string transactionalId, string error, string what);

        [LoggerMessage(304, LogLevel.Debug, "Transactional producer {TransactionalId}: transaction {Number} {Outcome}")]
        public static partial void Ended(ILogger logger, string transactionalId, string outcome, int number);

        [LoggerMessage(305, LogLevel.Error, "Transactional producer {TransactionalId}: the partition loop hit an unexpected error; it continues")]
        public static partial void LoopError(ILogger logger, Exception exception, string transactionalId);
    }
}

/// <summary>Where a transactional producer stands.</summary>
internal enum TransactionState
{
    Uninitialized,
    Ready,
    InTransaction,
    Committing,
    Aborting,
    AbortableError,
    Fenced,
    Closed,
}
