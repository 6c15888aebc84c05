using System.Diagnostics;
using System.Threading.Channels;
using Kafka.Client.Internal;
using Kafka.Client.Internal.Producing;

namespace Kafka.Client;

/// <summary>
/// Produces messages to one topic (pykafka's <c>Producer</c>), from <see cref="Topic.GetProducer"/>. Messages are
/// copied into per-partition batches as they are produced and sent in the background, one produce request per broker
/// at a time (up to five with idempotence), retried on transient errors in order, and each ends delivered or failed
/// with a reason. Thread-safe: share one producer per topic.
/// </summary>
/// <example>
/// <code>
/// await using var producer = topic.GetProducer(new ProducerOptions { Compression = CompressionType.Lz4 });
/// DeliveryReport report = await producer.ProduceAsync(value, key, cancellationToken: ct); // partition, offset
/// producer.Produce(otherValue);    // fire-and-forget: returns once queued
/// await producer.FlushAsync(ct);   // everything queued is delivered or failed
/// </code>
/// </example>
/// <remarks>
/// <para>
/// Producing allocates nothing per message: the bytes are copied into the batch buffer before the call returns (so
/// the caller may reuse its buffers at once), and <c>ProduceAsync</c> returns a <see cref="ValueTask{TResult}"/>
/// backed by a pooled completion. Such a task must be awaited exactly once (or turned into a Task with AsTask).
/// </para>
/// <para>
/// Dispose the producer to deliver what is queued: disposing waits up to <see cref="ProducerOptions.PendingTimeout"/>,
/// then fails what is left. Disposing the <see cref="KafkaClient"/> stops its producers at once.
/// </para>
/// </remarks>
public sealed class Producer : IAsyncDisposable, IDisposable
{
    [ThreadStatic]
    private static ManualResetEventSlim? t_syncSignal;

    private readonly ProducerEngine _engine;
    private readonly bool _reports;
    private readonly bool _propagate;

    internal Producer(Topic topic, ProducerOptions options, TimeProvider? timeProvider = null)
        : this(topic, options, transaction: null, timeProvider)
    {
    }

    /// <summary>A producer of one topic; with <paramref name="transaction"/>, one topic's share of a transactional producer.</summary>
    internal Producer(Topic topic, ProducerOptions options, TransactionManager? transaction, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(options);
        var errors = ProducerOptionsValidator.Validate(options);
        if (options.TransactionalId is not null && transaction is null)
        {
            errors.Add($"{nameof(options.TransactionalId)}: a transactional producer spans topics; get it from KafkaClient.GetTransactionalProducer, not Topic.GetProducer.");
        }
        if (errors.Count > 0)
        {
            throw new ArgumentException(
                $"Invalid producer options:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}", nameof(options));
        }
        Topic = topic;
        Options = options.Clone();
        _reports = Options.DeliveryReports;
        _propagate = Options.PropagateTraceContext;
        _engine = new ProducerEngine(topic, Options, timeProvider ?? topic.Cluster.Settings.TimeProvider, transaction);
    }

    /// <summary>The engine (for the transactional producer, which drives one producer per topic).</summary>
    internal ProducerEngine Engine => _engine;

    /// <summary>The topic this producer writes to.</summary>
    public Topic Topic { get; }

    /// <summary>The options this producer was created with (a copy).</summary>
    public ProducerOptions Options { get; }

    /// <summary>
    /// The outcome of every message sent with <c>Produce</c>, in completion order (pykafka's
    /// <c>get_delivery_report()</c>), when <see cref="ProducerOptions.DeliveryReports"/> is on. A message keeps its place
    /// in the queue until its report is read. The channel completes when the producer is disposed.
    /// </summary>
    /// <exception cref="InvalidOperationException">Delivery reports are off.</exception>
    public ChannelReader<DeliveryReport> DeliveryReports =>
        _engine.Reports ?? throw new InvalidOperationException("Delivery reports are off: set ProducerOptions.DeliveryReports to read them.");

    /// <summary>Messages accepted and not yet finished (or whose delivery report was not read yet).</summary>
    public int QueuedMessages => _engine.Gate.Count;

    /// <summary>Whether the producer sends as an idempotent producer (see <see cref="ProducerOptions.EnableIdempotence"/>).</summary>
    public bool IsIdempotent => _engine.IsIdempotent;

    /// <summary>
    /// Queues a message and returns when it is delivered (or throws when it failed). The bytes are copied before the
    /// method returns.
    /// </summary>
    /// <param name="value">The message value; <see langword="null"/> for a tombstone (a null value, which compacted topics read as a deletion).</param>
    /// <param name="partitionKey">The key, which also chooses the partition (see <see cref="ProducerOptions.Partitioner"/>); <see langword="null"/> for none.</param>
    /// <param name="timestamp">The record's create time; now (the client's clock) when null.</param>
    /// <param name="headers">Record headers (record batch v2 only).</param>
    /// <param name="cancellationToken">
    /// Stops waiting for room in a full queue, or for the delivery report. A message already queued is still
    /// delivered (or fails) as any other.
    /// </param>
    /// <returns>The partition, offset and timestamp the message got.</returns>
    /// <exception cref="ProduceFailureException">The message was not delivered; the exception says why.</exception>
    /// <exception cref="MessageTooLargeException">The message cannot fit a request of <see cref="ProducerOptions.MaxRequestSize"/>.</exception>
    /// <exception cref="ProducerQueueFullException">The queue is full and <see cref="ProducerOptions.BlockOnQueueFull"/> is off.</exception>
    /// <exception cref="ProducerDisposedException">The producer was disposed.</exception>
    public ValueTask<DeliveryReport> ProduceAsync(ReadOnlyMemory<byte>? value, ReadOnlyMemory<byte>? partitionKey = null,
        DateTimeOffset? timestamp = null, ReadOnlySpan<KafkaHeader> headers = default, CancellationToken cancellationToken = default) =>
        ProduceCoreAsync(
            partitionKey.GetValueOrDefault().Span, partitionKey.HasValue, value.GetValueOrDefault().Span, value.HasValue,
            timestamp, headers, cancellationToken);

    /// <summary>
    /// Queues a message held in arrays and returns when it is delivered: as the <see cref="ReadOnlyMemory{T}"/>
    /// overload, where a null array means no key, or a tombstone value (a null array converted to memory would be
    /// empty instead).
    /// </summary>
    /// <inheritdoc cref="ProduceAsync(ReadOnlyMemory{byte}?, ReadOnlyMemory{byte}?, DateTimeOffset?, ReadOnlySpan{KafkaHeader}, CancellationToken)"/>
    public ValueTask<DeliveryReport> ProduceAsync(byte[]? value, byte[]? partitionKey = null,
        DateTimeOffset? timestamp = null, ReadOnlySpan<KafkaHeader> headers = default, CancellationToken cancellationToken = default) =>
        ProduceCoreAsync(partitionKey, partitionKey is not null, value, value is not null, timestamp, headers, cancellationToken);

    /// <summary>
    /// Queues a message and returns at once (pykafka's <c>produce()</c>); its outcome goes to
    /// <see cref="DeliveryReports"/> when they are on, and failures are logged. Blocks while the queue is full (see
    /// <see cref="ProducerOptions.BlockOnQueueFull"/>). With <see cref="ProducerOptions.Sync"/> it blocks until the
    /// message is delivered and throws if it failed, as pykafka's sync producer; prefer <c>ProduceAsync</c> there.
    /// </summary>
    /// <param name="value">The message value; <see langword="null"/> for a tombstone.</param>
    /// <param name="partitionKey">The key, which also chooses the partition; <see langword="null"/> for none.</param>
    /// <param name="timestamp">The record's create time; now when null.</param>
    /// <param name="headers">Record headers (record batch v2 only).</param>
    /// <exception cref="MessageTooLargeException">The message cannot fit a request of <see cref="ProducerOptions.MaxRequestSize"/>.</exception>
    /// <exception cref="ProducerQueueFullException">The queue is full and <see cref="ProducerOptions.BlockOnQueueFull"/> is off.</exception>
    /// <exception cref="ProducerDisposedException">The producer was disposed.</exception>
    /// <exception cref="ProduceFailureException">With <see cref="ProducerOptions.Sync"/>: the message was not delivered.</exception>
    public void Produce(ReadOnlyMemory<byte>? value, ReadOnlyMemory<byte>? partitionKey = null, DateTimeOffset? timestamp = null,
        ReadOnlySpan<KafkaHeader> headers = default) =>
        ProduceCore(partitionKey.GetValueOrDefault().Span, partitionKey.HasValue, value.GetValueOrDefault().Span, value.HasValue,
            timestamp, headers, partitionKey, value);

    /// <summary>
    /// Queues a message held in arrays and returns at once: as the <see cref="ReadOnlyMemory{T}"/> overload, where a
    /// null array means no key, or a tombstone value.
    /// </summary>
    /// <inheritdoc cref="Produce(ReadOnlyMemory{byte}?, ReadOnlyMemory{byte}?, DateTimeOffset?, ReadOnlySpan{KafkaHeader})"/>
    public void Produce(byte[]? value, byte[]? partitionKey = null, DateTimeOffset? timestamp = null, ReadOnlySpan<KafkaHeader> headers = default) =>
        ProduceCore(partitionKey, partitionKey is not null, value, value is not null, timestamp, headers,
            partitionKey is null ? null : new ReadOnlyMemory<byte>(partitionKey), value is null ? null : new ReadOnlyMemory<byte>(value));

    /// <summary>
    /// Waits until every message accepted before the call is delivered or failed (sending at once rather than
    /// lingering). Messages produced meanwhile are not waited for.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; the messages are still delivered.</param>
    public Task FlushAsync(CancellationToken cancellationToken = default) =>
        _engine.IsStopped ? Task.CompletedTask : _engine.FlushAsync(cancellationToken);

    /// <summary>
    /// Stops accepting messages, waits up to <see cref="ProducerOptions.PendingTimeout"/> for the queued ones, fails
    /// the rest with <see cref="ProducerDisposedException"/>, and stops the background loops (pykafka's <c>stop()</c>).
    /// </summary>
    public ValueTask DisposeAsync() => _engine.DisposeAsync();

    /// <summary>
    /// Starts disposing without waiting for it (for callers that cannot await, such as a container disposed
    /// synchronously): queued messages still get up to <see cref="ProducerOptions.PendingTimeout"/> in the background.
    /// Prefer <see cref="DisposeAsync"/>.
    /// </summary>
    public void Dispose() => _ = _engine.DisposeAsync().AsTask();

    /// <summary>The fire-and-forget path over spans (used by the typed producer too).</summary>
    internal void ProduceCore(ReadOnlySpan<byte> key, bool hasKey, ReadOnlySpan<byte> value, bool hasValue, DateTimeOffset? timestamp,
        ReadOnlySpan<KafkaHeader> headers, ReadOnlyMemory<byte>? keyMemory, ReadOnlyMemory<byte>? valueMemory)
    {
        ThrowIfNotAccepting();
        var activity = TraceSend(key, hasKey, hasValue, ref headers);
        try
        {
            _engine.Validate(hasKey ? key.Length : -1, hasValue ? value.Length : -1, headers);
            AcquireBlocking();
        }
        catch (Exception ex) when (activity is not null)
        {
            MessagingTelemetry.Stop(activity, ex);
            throw;
        }
        var timestampMs = timestamp?.ToUnixTimeMilliseconds() ?? _engine.Time.GetUtcNow().ToUnixTimeMilliseconds();
        if (Options.Sync)
        {
            var signal = t_syncSignal ??= new ManualResetEventSlim(false, spinCount: 0);
            var completion = _engine.RentCompletion();
            completion.UseSyncSignal(signal);
            Append(key, hasKey, value, hasValue, timestampMs, headers, completion, report: false, null, null, activity);
            completion.WaitForResult();
            return;
        }
        Append(key, hasKey, value, hasValue, timestampMs, headers, null, _reports, keyMemory, valueMemory, activity);
    }

    /// <summary>The awaited path over spans (used by the typed producer too).</summary>
    internal ValueTask<DeliveryReport> ProduceCoreAsync(ReadOnlySpan<byte> key, bool hasKey, ReadOnlySpan<byte> value, bool hasValue,
        DateTimeOffset? timestamp, ReadOnlySpan<KafkaHeader> headers, CancellationToken cancellationToken)
    {
        ThrowIfNotAccepting();
        var activity = TraceSend(key, hasKey, hasValue, ref headers);
        try
        {
            _engine.Validate(hasKey ? key.Length : -1, hasValue ? value.Length : -1, headers);
            cancellationToken.ThrowIfCancellationRequested();
            var timestampMs = timestamp?.ToUnixTimeMilliseconds() ?? _engine.Time.GetUtcNow().ToUnixTimeMilliseconds();
            if (!_engine.Gate.TryAcquire())
            {
                if (!Options.BlockOnQueueFull)
                {
                    throw new ProducerQueueFullException(Options.MaxQueuedMessages);
                }
                // Slow path: the queue is full, so the message must outlive this call; copy it.
                return ProduceWhenRoomAsync(hasKey ? key.ToArray() : null, hasValue ? value.ToArray() : null, timestampMs, CopyHeaders(headers), activity, cancellationToken);
            }
            return QueueAwaited(key, hasKey, value, hasValue, timestampMs, headers, activity, cancellationToken);
        }
        catch (Exception ex) when (activity is not null)
        {
            MessagingTelemetry.Stop(activity, ex);
            throw;
        }
    }

    /// <summary>
    /// With someone listening: the message's <c>send</c> span. With a span to carry (that one, or the caller's own),
    /// and propagation on: the message's headers with its context added. Otherwise nothing, and no allocation.
    /// </summary>
    private Activity? TraceSend(ReadOnlySpan<byte> key, bool hasKey, bool hasValue, ref ReadOnlySpan<KafkaHeader> headers)
    {
        var activity = ClientTelemetry.Source.HasListeners()
            ? MessagingTelemetry.StartSend(Topic, Topic.Cluster.Settings.ClientId, key, hasKey, hasValue)
            : null;
        if (_propagate && (activity ?? Activity.Current) is { } context)
        {
            headers = TraceContextPropagation.Inject(context, headers);
        }
        return activity;
    }

    private ValueTask<DeliveryReport> QueueAwaited(ReadOnlySpan<byte> key, bool hasKey, ReadOnlySpan<byte> value, bool hasValue,
        long timestampMs, ReadOnlySpan<KafkaHeader> headers, Activity? activity, CancellationToken cancellationToken)
    {
        var completion = _engine.RentCompletion();
        Append(key, hasKey, value, hasValue, timestampMs, headers, completion, report: false, null, null, activity);
        return completion.GetTask(cancellationToken);
    }

    private async ValueTask<DeliveryReport> ProduceWhenRoomAsync(byte[]? key, byte[]? value, long timestampMs, KafkaHeader[] headers,
        Activity? activity, CancellationToken cancellationToken)
    {
        try
        {
            await _engine.Gate.AcquireAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (activity is not null)
        {
            MessagingTelemetry.Stop(activity, ex);
            throw;
        }
        if (!_engine.IsAcceptingMessages)
        {
            _engine.Gate.Release(1);
            if (activity is not null)
            {
                MessagingTelemetry.Stop(activity, new ProducerDisposedException($"The producer for '{Topic.Name}' was disposed; it accepts no more messages."));
            }
            ThrowIfNotAccepting();
        }
        return await QueueAwaited(key, key is not null, value, value is not null, timestampMs, headers, activity, cancellationToken).ConfigureAwait(false);
    }

    private static KafkaHeader[] CopyHeaders(ReadOnlySpan<KafkaHeader> headers)
    {
        var copy = new KafkaHeader[headers.Length];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = headers[i] with { Value = headers[i].Value.ToArray() };
        }
        return copy;
    }

    private void AcquireBlocking()
    {
        if (_engine.Gate.TryAcquire())
        {
            return;
        }
        if (!Options.BlockOnQueueFull)
        {
            throw new ProducerQueueFullException(Options.MaxQueuedMessages);
        }
        _engine.Gate.Acquire();
        if (!_engine.IsAcceptingMessages)
        {
            _engine.Gate.Release(1);
            ThrowIfNotAccepting();
        }
    }

    private void Append(ReadOnlySpan<byte> key, bool hasKey, ReadOnlySpan<byte> value, bool hasValue, long timestampMs,
        ReadOnlySpan<KafkaHeader> headers, DeliveryCompletion? completion, bool report, ReadOnlyMemory<byte>? keyMemory, ReadOnlyMemory<byte>? valueMemory,
        Activity? activity)
    {
        try
        {
            _engine.Append(key, hasKey, value, hasValue, timestampMs, headers, completion, report, keyMemory, valueMemory, activity);
        }
        catch (Exception ex)
        {
            _engine.Gate.Release(1);
            if (activity is not null)
            {
                MessagingTelemetry.Stop(activity, ex);
            }
            throw;
        }
    }

    private void ThrowIfNotAccepting()
    {
        if (!_engine.IsAcceptingMessages)
        {
            throw new ProducerDisposedException($"The producer for '{Topic.Name}' was disposed; it accepts no more messages.");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Producer({Topic.Name})";
}
