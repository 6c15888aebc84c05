using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Kafka.Client.Protocol;
using Microsoft.Extensions.Logging;
using static Kafka.Client.Protocol.Records.RecordBatchFormat;

namespace Kafka.Client.Internal.Producing;

/// <summary>
/// The machinery behind one <see cref="Producer"/>, shaped after franz-go's: a <see cref="PartitionQueue"/> per
/// partition where producing threads build batches in place, and a <see cref="BrokerSender"/> per broker that drains
/// the ready batches of the partitions that broker leads into one produce request at a time (more with idempotence).
/// Around them: a loop that follows the client's metadata snapshots (asking for a new one when a leader is lost), the
/// idempotent producer's identity (id, epoch, per-partition sequences), retries with backoff that keep each
/// partition's order, and the bookkeeping that makes every accepted message end delivered or failed: completions,
/// delivery reports, flushes and the queue limit.
/// </summary>
internal sealed partial class ProducerEngine : IAsyncDisposable
{
    private const int Running = 0;
    private const int Draining = 1;
    private const int Stopped = 2;

    private readonly Topic _topic;
    private readonly Cluster _cluster;
    private readonly ProducerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IPartitioner _partitioner;
    private readonly TransactionManager? _transaction;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly CancellationTokenRegistration _clientClosed;
    private readonly ConcurrentDictionary<int, BrokerSender> _senders = new();
    private readonly ConcurrentQueue<ProducerBatch> _batchPool = new();
    private readonly ConcurrentQueue<DeliveryCompletion> _completionPool = new();
    private readonly Channel<DeliveryReport>? _reports;
    private readonly Lock _queuesLock = new();
    private readonly long _lingerTicks;
    private readonly long _deliveryTimeoutTicks;
    private readonly int _batchLimit;
    private readonly int _minBatchPool;
    private long _lastPoolMiss;
    private volatile PartitionQueue[] _queues = [];
    private volatile int _state;
    private int _inFlightRequests;

    public ProducerEngine(Topic topic, ProducerOptions options, TimeProvider time, TransactionManager? transaction = null)
    {
        _topic = topic;
        _transaction = transaction;
        _cluster = topic.Cluster;
        _options = options;
        _time = time;
        _logger = _cluster.Settings.LoggerFactory.CreateLogger("Kafka.Client.Producer");
        _partitioner = options.Partitioner ?? new Murmur2Partitioner();
        TopicName = topic.Name;
        Acks = (short)options.RequiredAcks;
        AckTimeoutMs = (int)options.AckTimeout.TotalMilliseconds;
        RequestTimeout = _cluster.Settings.SocketTimeout;
        Magic = ChooseMagic(_cluster.Settings.Versions.Release);
        if (Magic != MagicV2 && options.Compression == CompressionType.Zstd)
        {
            throw new ArgumentException($"Compression: zstd needs record batch v2 (brokers 2.1 or later); BrokerVersion is {_cluster.Settings.Versions.Release}.", nameof(options));
        }
        if (transaction is not null && Magic != MagicV2)
        {
            throw new KafkaVersionException($"Transactions need record batch v2 (brokers 0.11 or later); BrokerVersion is {_cluster.Settings.Versions.Release}.");
        }
        _idempotent = transaction is not null || (options.EnableIdempotence && options.RequiredAcks == RequiredAcks.All && Magic == MagicV2
                      && SupportsIdempotence(_cluster.Settings.Versions.Release));
        _lingerTicks = options.Sync ? 0 : Ticks(options.Linger);
        _deliveryTimeoutTicks = Ticks(options.DeliveryTimeout);

        var clientId = Encoding.UTF8.GetByteCount(_cluster.Settings.ClientId);
        // Size prefix, request header (key, version, correlation id, client id, tags), transactional id, acks, timeout,
        // the topic array and name, the partition array and the tags that close each struct; generously rounded.
        RequestOverhead = 64 + clientId + Encoding.UTF8.GetByteCount(TopicName);
        _batchLimit = Math.Max(1, Math.Min(options.BatchSize, options.MaxRequestSize - RequestOverhead - PartitionOverhead));
        _minBatchPool = 16;
        _lastPoolMiss = time.GetTimestamp();
        if (options.DeliveryReports)
        {
            _reports = Channel.CreateUnbounded<DeliveryReport>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
            Reports = new DeliveryReportReader(_reports.Reader, this);
        }
        Gate = new QueueGate(options.MaxQueuedMessages);
        _identity = ProducerIdentity.None(0);
        if (transaction?.ProducerId is { } transactional)
        {
            _identity = new ProducerIdentity(transactional.Id, transactional.Epoch, Interlocked.Increment(ref _generation));
        }

        RefreshQueues();
        _onMetadataChanged = AdoptMetadata;
        _cluster.MetadataChanged += _onMetadataChanged;
        _metadataLoop = Task.Run(MetadataLoopAsync);
        if (_idempotent && transaction is null)
        {
            _identityTask = Task.Run(() => InitIdentityAsync(previous: null, reason: "start"));
        }
        _clientClosed = _cluster.Lifetime.UnsafeRegister(static s => ((ProducerEngine)s!).OnClientClosed(), this);
        ProducerLog.Started(_logger, TopicName, Acks, _idempotent, options.Compression, options.Linger.TotalMilliseconds);
        MessagingTelemetry.Track(this);
    }

    /// <summary>Per partition in a request: index, records length, tags; rounded up.</summary>
    public const int PartitionOverhead = 16;

    public string TopicName { get; }

    public short Acks { get; }

    public int AckTimeoutMs { get; }

    public TimeSpan RequestTimeout { get; }

    /// <summary>The record format: 2 (record batch v2), or 1/0 (legacy message sets) for brokers before 0.11.</summary>
    public byte Magic { get; }

    public int RequestOverhead { get; }

    public ProducerOptions Options => _options;

    public TimeProvider Time => _time;

    public ILogger Logger => _logger;

    public QueueGate Gate { get; }

    /// <summary>The telemetry attribute of the client's id.</summary>
    public KeyValuePair<string, object?> ClientTag => _cluster.Settings.ClientTag;

    public DeliveryReportReader? Reports { get; }

    public CancellationToken Lifetime => _lifetime.Token;

    public bool IsIdempotent => _idempotent;

    /// <summary>The transactional id produce requests carry, or null.</summary>
    public string? TransactionalId => _transaction is null ? null : _options.TransactionalId;

    /// <summary>
    /// The highest Produce version this engine sends: v12 adds a transactional producer's partitions to its
    /// transaction (KIP-890), so a transactional engine outside transactions V2 stops at v11.
    /// </summary>
    public short MaxProduceVersion => _transaction is { UsesTransactionsV2: false } ? TransactionManager.MaxProduceVersionV1 : KnownApis.Produce.MaxVersion;

    /// <summary>Requests in flight per broker connection: up to MaxInFlightRequests when idempotent, else one.</summary>
    public int MaxInFlight => _idempotent ? _options.MaxInFlightRequests : 1;

    /// <summary>Whether accepted messages still count (until disposal's pending timeout ran out).</summary>
    public bool IsStopped => _state == Stopped;

    public bool IsAcceptingMessages => _state == Running;

    public int PartitionCount => _queues.Length;

    /// <summary>Whether a message is sent as soon as it is produced (no linger, or sync mode).</summary>
    public bool SendsAtOnce => _lingerTicks == 0;

    internal PartitionQueue[] Queues => _queues;

    /// <summary>When each broker's sender is next woken by its timer (engine ticks).</summary>
    internal long[] SenderWakeTimes => [.. _senders.Values.Select(s => s.WakeAt)];

    public long Now => _time.GetTimestamp();

    public long Ticks(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span >= TimeSpan.FromDays(365)
            ? long.MaxValue / 4
            : (long)(span.TotalSeconds * _time.TimestampFrequency);

    public TimeSpan ToTimeSpan(long ticks) => TimeSpan.FromSeconds((double)ticks / _time.TimestampFrequency);

    private static byte ChooseMagic(BrokerRelease? release)
    {
        if (release is null || !KafkaReleases.TryGetRange(release, ApiKey.Produce, out var range) || range.MaxVersion >= 3)
        {
            return MagicV2;
        }
        return range.MaxVersion >= 2 ? MagicV1 : MagicV0;
    }

    private static bool SupportsIdempotence(BrokerRelease? release) =>
        release is null || KafkaReleases.TryGetRange(release, ApiKey.InitProducerId, out _);

    /// <summary>Rents a completion for a ProduceAsync awaiter.</summary>
    public DeliveryCompletion RentCompletion() => DeliveryCompletion.Rent(_completionPool, _options.MaxQueuedMessages);

    /// <summary>
    /// Checks that a message can be sent at all: that a request holding only it stays within MaxRequestSize, and that
    /// the record format can carry it.
    /// </summary>
    public void Validate(int keyLength, int valueLength, ReadOnlySpan<KafkaHeader> headers)
    {
        if (Magic != MagicV2 && !headers.IsEmpty)
        {
            throw new KafkaVersionException(
                $"Record headers need record batch v2 (brokers 0.11 or later); BrokerVersion {_cluster.Settings.Versions.Release} means magic {Magic} message sets, which have none.");
        }
        var size = RequestOverhead + PartitionOverhead + ProducerBatch.SizeAlone(Magic, _options.Compression, keyLength, valueLength, headers);
        if (size > _options.MaxRequestSize)
        {
            throw new MessageTooLargeException(size, _options.MaxRequestSize);
        }
    }

    /// <summary>
    /// Copies a message into its partition's open batch (the hot path). The caller holds a place in the queue gate;
    /// on an exception the message was not queued and the caller gives the place back.
    /// </summary>
    public void Append(ReadOnlySpan<byte> key, bool hasKey, ReadOnlySpan<byte> value, bool hasValue, long timestampMs,
        ReadOnlySpan<KafkaHeader> headers, DeliveryCompletion? completion, bool report, ReadOnlyMemory<byte>? keyMemory, ReadOnlyMemory<byte>? valueMemory,
        System.Diagnostics.Activity? activity = null)
    {
        var queues = _queues;
        if (queues.Length == 0)
        {
            throw new ProduceFailureException($"Topic '{TopicName}' has no partitions in the cluster metadata.", TopicName, -1, KafkaErrorCode.UnknownTopicOrPartition);
        }
        var index = _partitioner.GetPartition(TopicName, queues.Length, key, hasKey);
        if ((uint)index >= (uint)queues.Length)
        {
            throw new InvalidOperationException($"The partitioner {_partitioner.GetType().Name} chose partition index {index}; the topic has {queues.Length} partitions.");
        }
        var queue = queues[index];
        var keyLength = hasKey ? key.Length : -1;
        var valueLength = hasValue ? value.Length : -1;
        var signal = false;
        lock (queue.Lock)
        {
            if (queue.IsGone)
            {
                throw new ProduceFailureException($"Partition {TopicName}/{queue.Id} left the cluster metadata.", TopicName, queue.Id, KafkaErrorCode.UnknownTopicOrPartition);
            }
            var batch = queue.Open;
            if (batch is not null && batch.SizeWith(timestampMs, keyLength, valueLength, headers) > _batchLimit)
            {
                CloseOpen(queue);
                batch = null;
            }
            if (batch is null)
            {
                batch = BeginBatch(queue);
                signal = true;
                if (_topic.Partitions.Count != queues.Length)
                {
                    // A metadata refresh changed the partitions: adopt them.
                    AdoptMetadata();
                }
            }
            if (_transaction is not null && queue.TransactionNumber != _transaction.Number)
            {
                _transaction.RequestAdd(this, queue);
            }
            var recordIndex = batch.Append(timestampMs, key, !hasKey, value, !hasValue, headers);
            if (completion is not null || report || activity is not null)
            {
                batch.AddSlot(new MessageSlot
                {
                    Index = recordIndex,
                    Timestamp = timestampMs,
                    Completion = completion,
                    Key = keyMemory,
                    Value = valueMemory,
                    Activity = activity,
                });
            }
            if (batch.Count >= _options.MinQueuedMessages)
            {
                CloseOpen(queue);
                signal = true;
            }
        }
        if (signal || _lingerTicks == 0)
        {
            Wake(queue);
        }
    }

    private ProducerBatch BeginBatch(PartitionQueue queue)
    {
        if (!_batchPool.TryDequeue(out var batch))
        {
            batch = new ProducerBatch();
            Volatile.Write(ref _lastPoolMiss, Now);
        }
        var identity = _identity;
        var idempotent = identity.IsIdempotent;
        batch.Begin(queue, queue.NextNumber++, Now, Magic, _options.Compression, _options.CompressionLevel,
            identity.Id, identity.Epoch, idempotent ? queue.NextSequence : -1, identity.Generation, _transaction is not null);
        queue.Open = batch;
        return batch;
    }

    /// <summary>Seals the open batch and queues it for sending. Caller holds the partition's lock.</summary>
    private static void CloseOpen(PartitionQueue queue)
    {
        var batch = queue.Open!;
        queue.Open = null;
        batch.Close();
        queue.Ready.Add(batch);
        if (batch.BaseSequence >= 0)
        {
            queue.NextSequence = NextSequence(batch.BaseSequence, batch.Count);
        }
    }

    /// <summary>Sequence numbers wrap to 0 after int.MaxValue, as Kafka's do.</summary>
    private static int NextSequence(int sequence, int count) => (int)((sequence + (long)count) & int.MaxValue);

    /// <summary>
    /// Keeps a finished batch (and its grown buffer) for reuse, so that a producer in steady state allocates no
    /// buffers: the pool grows to what demand needed. Once the pool has not run dry for <see cref="PoolTrimDelay"/>,
    /// batches beyond a small reserve are freed as they come back, so that a burst does not hold its memory for good.
    /// </summary>
    private void ReturnBatch(ProducerBatch batch)
    {
        batch.Clear();
        var idle = Now - Volatile.Read(ref _lastPoolMiss) > Ticks(PoolTrimDelay);
        if (_state != Stopped && (!idle || _batchPool.Count < _minBatchPool))
        {
            _batchPool.Enqueue(batch);
        }
        else
        {
            batch.Dispose();
        }
    }

    /// <summary>How long the pool must have had batches to spare before those beyond the reserve are freed.</summary>
    private static readonly TimeSpan PoolTrimDelay = TimeSpan.FromSeconds(30);

    /// <summary>Tells whoever must act on a partition's new or ready batch: its leader's sender, or the client's metadata loop.</summary>
    public void Wake(PartitionQueue queue)
    {
        var leader = queue.Partition.Leader;
        if (leader is null)
        {
            RequestMetadata($"producing to {TopicName}/{queue.Id}, which has no known leader");
            return;
        }
        SenderFor(leader.Id).Signal();
    }

    private BrokerSender SenderFor(int brokerId)
    {
        if (_senders.TryGetValue(brokerId, out var sender))
        {
            return sender;
        }
        lock (_queuesLock)
        {
            if (!_senders.TryGetValue(brokerId, out sender))
            {
                sender = new BrokerSender(this, brokerId);
                _senders[brokerId] = sender;
                sender.Start();
            }
        }
        return sender;
    }

    public void WakeAllSenders()
    {
        foreach (var queue in _queues)
        {
            if (queue.HasWork)
            {
                Wake(queue);
            }
        }
        foreach (var sender in _senders.Values)
        {
            sender.Signal();
        }
    }

    /// <summary>The wait before retry number <paramref name="attempt"/>: RetryBackoff doubling to RetryBackoffMax, ±20% jitter.</summary>
    public TimeSpan Backoff(int attempt)
    {
        var baseMs = _options.RetryBackoff.TotalMilliseconds;
        var ms = Math.Min(_options.RetryBackoffMax.TotalMilliseconds, baseMs * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30)));
        ms *= 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromMilliseconds(ms);
    }
}
