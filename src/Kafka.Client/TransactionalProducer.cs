using System.Collections.Concurrent;
using Kafka.Client.Internal.Producing;

namespace Kafka.Client;

/// <summary>
/// A producer whose messages, to any topics, and consumer offsets become visible together or not at all (Kafka
/// transactions, KIP-98), from <see cref="KafkaClient.GetTransactionalProducer"/>. Consumers reading with
/// <see cref="KafkaIsolationLevel.ReadCommitted"/> see a transaction's messages once it commits and never see an
/// aborted one's. Not in pykafka.
/// </summary>
/// <example>
/// <code>
/// await using var producer = client.GetTransactionalProducer(new ProducerOptions { TransactionalId = "invoices-0" });
/// await producer.InitTransactionsAsync(ct);        // fences older producers of "invoices-0"
/// producer.BeginTransaction();
/// try
/// {
///     await producer.ProduceAsync("invoices", invoice, orderKey, cancellationToken: ct);
///     await producer.SendOffsetsToTransactionAsync(consumedOffsets, consumer.GroupMetadata, ct);
///     await producer.CommitTransactionAsync(ct);
/// }
/// catch (KafkaTransactionException ex) when (ex.RequiresAbort)
/// {
///     await producer.AbortTransactionAsync(ct);    // then handle the input again
/// }
/// </code>
/// </example>
/// <remarks>
/// <para>
/// Each topic is produced through its own per-topic engine (as <see cref="Producer"/>), all under one producer id
/// and epoch; <see cref="ProducerOptions.MaxQueuedMessages"/> applies per topic. A message's delivery report says
/// it was written to the log; whether readers see it depends on the transaction's outcome.
/// </para>
/// <para>
/// Errors: a <see cref="KafkaTransactionException"/> with <see cref="KafkaTransactionException.RequiresAbort"/> means
/// the transaction cannot commit (abort it, and the producer goes on); a <see cref="ProducerFencedException"/> means a
/// newer producer took the transactional id, and this one accepts no more work. Retriable errors (a moved or loading
/// coordinator, concurrent transactions, lost connections) are retried within <see cref="ProducerOptions.DeliveryTimeout"/>.
/// Thread-safe; the transaction calls (begin, send offsets, commit, abort) are meant to be made one at a time.
/// </para>
/// </remarks>
public sealed class TransactionalProducer : IAsyncDisposable, IDisposable
{
    private readonly Cluster _cluster;
    private readonly TransactionManager _transaction;

    /// <summary>Whether InitTransactions chose transactions V2 (KIP-890 part 2) from the coordinator's ApiVersions answer.</summary>
    internal bool UsesTransactionsV2 => _transaction.UsesTransactionsV2;
    private readonly ProducerOptions _producerOptions;
    private readonly ConcurrentDictionary<string, Producer> _producers = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private Task? _disposal;

    internal TransactionalProducer(Cluster cluster, ProducerOptions options)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(options);
        var errors = ProducerOptionsValidator.Validate(options);
        if (options.TransactionalId is null)
        {
            errors.Add($"{nameof(options.TransactionalId)}: not set; a transactional producer needs one.");
        }
        if (errors.Count > 0)
        {
            throw new ArgumentException(
                $"Invalid producer options:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}", nameof(options));
        }
        _cluster = cluster;
        Options = options.Clone();
        // The per-topic producers never wait for room inside a produce call (this class does, outside the
        // transaction's bookkeeping), so that a commit never waits on a blocked call.
        _producerOptions = Options.Clone();
        _producerOptions.BlockOnQueueFull = false;
        _producerOptions.DeliveryReports = false;
        _transaction = new TransactionManager(cluster, Options, cluster.Settings.TimeProvider);
    }

    /// <summary>The options this producer was created with (a copy).</summary>
    public ProducerOptions Options { get; }

    /// <summary>The transactional id (<see cref="ProducerOptions.TransactionalId"/>).</summary>
    public string TransactionalId => _transaction.TransactionalId;

    /// <summary>Whether a transaction is open: begun, and neither committed nor aborted yet.</summary>
    public bool InTransaction => _transaction.HasOpenTransaction;

    /// <summary>
    /// Gets the producer id and epoch for <see cref="TransactionalId"/> from its transaction coordinator. This fences
    /// every older producer with the same id (their later writes fail with <see cref="ProducerFencedException"/>), and
    /// the coordinator completes or aborts what they left open. Call once, before the first transaction.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; the producer stays uninitialized.</param>
    /// <exception cref="KafkaTransactionException">The coordinator refused (for example INVALID_TRANSACTION_TIMEOUT).</exception>
    /// <exception cref="ProducerFencedException">The transactional id is not authorized.</exception>
    /// <exception cref="KafkaTimeoutException">No coordinator answered within <see cref="ProducerOptions.DeliveryTimeout"/>.</exception>
    public Task InitTransactionsAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _transaction.InitAsync(cancellationToken);
    }

    /// <summary>Opens a transaction: messages produced until it is committed or aborted belong to it.</summary>
    /// <exception cref="InvalidOperationException">Not initialized, or a transaction is already open.</exception>
    /// <exception cref="ProducerFencedException">The producer was fenced.</exception>
    public void BeginTransaction()
    {
        ThrowIfDisposed();
        _transaction.Begin();
    }

    /// <summary>
    /// Queues a message to <paramref name="topic"/> in the open transaction and returns when it is written (or throws
    /// when it failed, which also makes the transaction abortable). The bytes are copied before the method returns.
    /// </summary>
    /// <param name="topic">The topic; the first message to a topic the client does not know yet fetches its metadata.</param>
    /// <param name="value">The message value; <see langword="null"/> for a tombstone.</param>
    /// <param name="partitionKey">The key, which also chooses the partition; <see langword="null"/> for none.</param>
    /// <param name="timestamp">The record's create time; now when null.</param>
    /// <param name="headers">Record headers.</param>
    /// <param name="cancellationToken">Stops waiting for room or for the outcome; a queued message still ends delivered or failed.</param>
    /// <returns>The partition, offset and timestamp the message got.</returns>
    /// <exception cref="InvalidOperationException">No transaction is open.</exception>
    /// <exception cref="KafkaTransactionException">The open transaction must be aborted first.</exception>
    /// <exception cref="ProducerFencedException">The producer was fenced.</exception>
    /// <exception cref="ProduceFailureException">The message was not written.</exception>
    public ValueTask<DeliveryReport> ProduceAsync(string topic, ReadOnlyMemory<byte>? value, ReadOnlyMemory<byte>? partitionKey = null,
        DateTimeOffset? timestamp = null, ReadOnlySpan<KafkaHeader> headers = default, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentException.ThrowIfNullOrEmpty(topic);
        if (_producers.TryGetValue(topic, out var producer))
        {
            if (TryProduceAsync(producer, partitionKey.GetValueOrDefault().Span, partitionKey.HasValue, value.GetValueOrDefault().Span,
                    value.HasValue, timestamp, headers, cancellationToken, out var result))
            {
                return result;
            }
        }
        return ProduceSlowAsync(topic, partitionKey?.ToArray(), value?.ToArray(), timestamp, CopyHeaders(headers), cancellationToken);
    }

    /// <summary>
    /// Queues a message held in arrays: as the <see cref="ReadOnlyMemory{T}"/> overload, where a null array means no
    /// key, or a tombstone value.
    /// </summary>
    /// <inheritdoc cref="ProduceAsync(string, ReadOnlyMemory{byte}?, ReadOnlyMemory{byte}?, DateTimeOffset?, ReadOnlySpan{KafkaHeader}, CancellationToken)"/>
    public ValueTask<DeliveryReport> ProduceAsync(string topic, byte[]? value, byte[]? partitionKey = null,
        DateTimeOffset? timestamp = null, ReadOnlySpan<KafkaHeader> headers = default, CancellationToken cancellationToken = default) =>
        ProduceAsync(topic, value is null ? null : new ReadOnlyMemory<byte>(value), partitionKey is null ? null : new ReadOnlyMemory<byte>(partitionKey),
            timestamp, headers, cancellationToken);

    /// <summary>
    /// Queues a message to <paramref name="topic"/> in the open transaction and returns at once; a failure makes
    /// <see cref="CommitTransactionAsync"/> throw (the transaction must then be aborted), so no message is lost
    /// silently. Blocks while the topic's queue is full (<see cref="ProducerOptions.BlockOnQueueFull"/>).
    /// </summary>
    /// <inheritdoc cref="ProduceAsync(string, ReadOnlyMemory{byte}?, ReadOnlyMemory{byte}?, DateTimeOffset?, ReadOnlySpan{KafkaHeader}, CancellationToken)"/>
    public void Produce(string topic, ReadOnlyMemory<byte>? value, ReadOnlyMemory<byte>? partitionKey = null, DateTimeOffset? timestamp = null,
        ReadOnlySpan<KafkaHeader> headers = default)
    {
        ThrowIfDisposed();
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var producer = _producers.TryGetValue(topic, out var known) ? known : GetProducerAsync(topic, CancellationToken.None).GetAwaiter().GetResult();
        while (true)
        {
            _transaction.EnterProduce();
            try
            {
                producer.ProduceCore(partitionKey.GetValueOrDefault().Span, partitionKey.HasValue, value.GetValueOrDefault().Span, value.HasValue,
                    timestamp, headers, partitionKey, value);
                return;
            }
            catch (ProducerQueueFullException) when (Options.BlockOnQueueFull)
            {
                // Wait for room below, outside the transaction's bookkeeping.
            }
            finally
            {
                _transaction.ExitProduce();
            }
            producer.Engine.Gate.Acquire();
            producer.Engine.Gate.Release(1);
        }
    }

    /// <summary>Queues a message held in arrays and returns at once.</summary>
    /// <inheritdoc cref="Produce(string, ReadOnlyMemory{byte}?, ReadOnlyMemory{byte}?, DateTimeOffset?, ReadOnlySpan{KafkaHeader})"/>
    public void Produce(string topic, byte[]? value, byte[]? partitionKey = null, DateTimeOffset? timestamp = null, ReadOnlySpan<KafkaHeader> headers = default) =>
        Produce(topic, value is null ? null : new ReadOnlyMemory<byte>(value), partitionKey is null ? null : new ReadOnlyMemory<byte>(partitionKey), timestamp, headers);

    /// <summary>
    /// Adds consumed offsets to the open transaction (AddOffsetsToTxn, then TxnOffsetCommit on the group's
    /// coordinator): they become the group's committed offsets when the transaction commits, and are dropped if it
    /// aborts. This is how a consume-transform-produce loop commits its input together with its output.
    /// </summary>
    /// <param name="offsets">For each partition, the offset of the next message to read (the last handled one + 1).</param>
    /// <param name="groupMetadata">The consumer's group metadata (<see cref="BalancedConsumer.GroupMetadata"/>), so the coordinator can refuse a member that left the group.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="KafkaTransactionException">The offsets could not join the transaction (with <see cref="KafkaTransactionException.RequiresAbort"/>: abort it).</exception>
    /// <exception cref="ProducerFencedException">The producer was fenced.</exception>
    /// <exception cref="InvalidOperationException">No transaction is open.</exception>
    public Task SendOffsetsToTransactionAsync(IReadOnlyDictionary<TopicAndPartition, long> offsets, ConsumerGroupMetadata groupMetadata,
        CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(groupMetadata);
        ArgumentException.ThrowIfNullOrEmpty(groupMetadata.GroupId, nameof(groupMetadata));
        return _transaction.SendOffsetsAsync(offsets, groupMetadata, cancellationToken);
    }

    /// <summary>
    /// Commits the open transaction: waits until every message produced in it is written, then asks the coordinator
    /// to commit (EndTxn), which makes the messages and offsets visible to ReadCommitted readers. A cancelled commit
    /// may be called again.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; the transaction stays open (commit again or abort).</param>
    /// <exception cref="KafkaTransactionException">With <see cref="KafkaTransactionException.RequiresAbort"/>: a message failed or the coordinator refused; abort.</exception>
    /// <exception cref="ProducerFencedException">The producer was fenced; nothing of the transaction commits.</exception>
    /// <exception cref="KafkaTimeoutException">The coordinator could not be reached within <see cref="ProducerOptions.DeliveryTimeout"/>; commit again or abort.</exception>
    public Task CommitTransactionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Aborts the open transaction: messages not sent yet fail (their awaiters get a <see cref="ProduceFailureException"/>
    /// saying so), those in flight finish, and the coordinator writes abort markers, so ReadCommitted readers never see
    /// them. The producer then starts its next transaction with a new epoch.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; abort again.</param>
    /// <exception cref="ProducerFencedException">The producer was fenced.</exception>
    /// <exception cref="KafkaTimeoutException">The coordinator could not be reached within <see cref="ProducerOptions.DeliveryTimeout"/>.</exception>
    public Task AbortTransactionAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _transaction.AbortAsync(cancellationToken);
    }

    /// <summary>Waits until every message accepted so far is written or failed, without ending the transaction.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        foreach (var producer in _producers.Values)
        {
            await producer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Aborts an open transaction (within <see cref="ProducerOptions.PendingTimeout"/>), so that nothing of it becomes
    /// visible, then stops the per-topic producers. A transaction the broker never hears the end of is aborted by its
    /// coordinator after <see cref="ProducerOptions.TransactionTimeout"/>, or when a producer with the same id initializes.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            return new(_disposal ??= DisposeCoreAsync());
        }
    }

    /// <summary>Starts disposing without waiting for it; prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => _ = DisposeAsync().AsTask();

    private async Task DisposeCoreAsync()
    {
        await Task.Yield();
        if (_transaction.HasOpenTransaction && !_cluster.Lifetime.IsCancellationRequested)
        {
            using var timeout = new CancellationTokenSource(Options.PendingTimeout, _cluster.Settings.TimeProvider);
            try
            {
                await _transaction.AbortAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is KafkaException or OperationCanceledException or InvalidOperationException)
            {
                // The coordinator aborts it after TransactionTimeout, or when the next producer of the id initializes.
            }
        }
        await _transaction.CloseAsync().ConfigureAwait(false);
        foreach (var producer in _producers.Values)
        {
            await producer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private bool TryProduceAsync(Producer producer, ReadOnlySpan<byte> key, bool hasKey, ReadOnlySpan<byte> value, bool hasValue,
        DateTimeOffset? timestamp, ReadOnlySpan<KafkaHeader> headers, CancellationToken cancellationToken, out ValueTask<DeliveryReport> result)
    {
        _transaction.EnterProduce();
        try
        {
            result = producer.ProduceCoreAsync(key, hasKey, value, hasValue, timestamp, headers, cancellationToken);
            return true;
        }
        catch (ProducerQueueFullException) when (Options.BlockOnQueueFull)
        {
            result = default;
            return false;
        }
        finally
        {
            _transaction.ExitProduce();
        }
    }

    private async ValueTask<DeliveryReport> ProduceSlowAsync(string topic, byte[]? key, byte[]? value, DateTimeOffset? timestamp, KafkaHeader[] headers,
        CancellationToken cancellationToken)
    {
        var producer = await GetProducerAsync(topic, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            if (TryProduceAsync(producer, key, key is not null, value, value is not null, timestamp, headers, cancellationToken, out var result))
            {
                return await result.ConfigureAwait(false);
            }
            await producer.Engine.Gate.AcquireAsync(cancellationToken).ConfigureAwait(false);
            producer.Engine.Gate.Release(1);
        }
    }

    private async Task<Producer> GetProducerAsync(string topic, CancellationToken cancellationToken)
    {
        if (_producers.TryGetValue(topic, out var producer))
        {
            return producer;
        }
        var metadata = await _cluster.Topics.GetAsync(topic, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            ThrowIfDisposed();
            if (!_producers.TryGetValue(topic, out producer))
            {
                producer = new Producer(metadata, _producerOptions, _transaction);
                _transaction.Register(producer.Engine);
                _producers[topic] = producer;
            }
        }
        return producer;
    }

    private static KafkaHeader[] CopyHeaders(ReadOnlySpan<KafkaHeader> headers)
    {
        if (headers.IsEmpty)
        {
            return [];
        }
        var copy = new KafkaHeader[headers.Length];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = headers[i] with { Value = headers[i].Value.ToArray() };
        }
        return copy;
    }

    private void ThrowIfDisposed()
    {
        if (_disposal is not null)
        {
            throw new ProducerDisposedException($"The transactional producer '{TransactionalId}' was disposed.");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"TransactionalProducer({TransactionalId})";
}
