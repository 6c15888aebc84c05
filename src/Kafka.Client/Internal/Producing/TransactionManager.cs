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
}
