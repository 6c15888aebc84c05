using Kafka.Client.Protocol;

namespace Kafka.Client.Internal.Producing;

/// <summary>
/// The produce loop of one broker (franz-go's sink): woken when a partition that broker leads has a batch ready (or a
/// linger or backoff deadline passes, or a request completes), it gathers ready batches into one produce request and
/// hands it to the broker's produce connection without waiting for the answer, up to the in-flight limit. Responses
/// are handled as they arrive; the loop waits only for a connection to open.
/// </summary>
internal sealed class BrokerSender
{
    private readonly ProducerEngine _engine;
    private readonly AsyncSignal _signal;
    private readonly ITimer _timer;
    private readonly System.Collections.Concurrent.ConcurrentQueue<ProduceExchange> _exchanges = new();
    private readonly Action<ProduceExchange, ProduceResponse?, Exception?> _onOutcome;
    private Task _loop = Task.CompletedTask;
    private long _armedFor = long.MaxValue;
    private int _inFlight;

    public BrokerSender(ProducerEngine engine, int brokerId)
    {
        _engine = engine;
        BrokerId = brokerId;
        _timer = engine.Time.CreateTimer(static s => ((BrokerSender)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _onOutcome = OnOutcome;
        // Without linger a message is sent as soon as it is produced: the thread that wakes this loop (the producing
        // thread, or the read loop that applied a response) writes the request itself instead of waking a pool thread
        // for it. Writing only copies into the connection's buffer and the socket, so it does not hold that thread up.
        _signal = new AsyncSignal(runContinuationsInline: engine.SendsAtOnce);
    }

    public int BrokerId { get; }

    /// <summary>Where the next scan of the partitions starts, so that no partition always comes last.</summary>
    public int NextStart { get; set; }

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>When the sender's timer wakes it next (a linger or backoff deadline, engine ticks); <see cref="long.MaxValue"/> when not set.</summary>
    public long WakeAt => Volatile.Read(ref _armedFor);

    public void Start() => _loop = Task.Run(RunAsync);

    public void Signal() => _signal.Set();

    private void OnTimer()
    {
        Volatile.Write(ref _armedFor, long.MaxValue);
        _signal.Set();
    }

    private async Task RunAsync()
    {
        while (true)
        {
            await _signal.WaitAsync().ConfigureAwait(false);
            if (_engine.Lifetime.IsCancellationRequested)
            {
                return;
            }
            try
            {
                await DrainAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (!_engine.Lifetime.IsCancellationRequested)
            {
                ProducerLog.LoopError(_engine.Logger, ex, $"broker {BrokerId} sender", _engine.TopicName);
                Arm(_engine.Now + _engine.Ticks(_engine.Options.RetryBackoff));
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Sends requests while there is something to send and room in flight. Requests are handed to the connection from
    /// this loop alone, in order, so they reach the broker in the order their batches were taken: a partition's
    /// batches are never reordered on the wire.
    /// </summary>
    private async Task DrainAsync()
    {
        while (Volatile.Read(ref _inFlight) < _engine.MaxInFlight && _engine.CanSend && !_engine.IsStopped)
        {
            var now = _engine.Now;
            var nextWake = long.MaxValue;
            if (!_exchanges.TryDequeue(out var exchange))
            {
                exchange = new ProduceExchange(_engine);
            }
            if (!_engine.Collect(this, now, ref nextWake, out var broker, exchange.Batches))
            {
                _exchanges.Enqueue(exchange);
                Arm(nextWake);
                return;
            }
            if (nextWake != long.MaxValue && nextWake > now)
            {
                Arm(nextWake);
            }
            Interlocked.Increment(ref _inFlight);
            _engine.RequestStarted();
            ValueTask<ProduceResponse> response;
            try
            {
                var connection = await broker!.GetConnectionAsync(ConnectionKind.Produce, _engine.Lifetime).ConfigureAwait(false);
                var version = Math.Min(connection.Versions.Negotiate(KnownApis.Produce), _engine.MaxProduceVersion);
                CheckFormat(version);
                // The response is applied on the connection's read loop (no thread hop): applying it only moves
                // batches and completes deliveries, whose awaiters resume on the thread pool.
                response = connection.SendValueAsync(exchange.BuildRequest(_engine.TopicName), version, _engine.RequestTimeout,
                    runContinuationsInline: true, _engine.Lifetime);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                response = ValueTask.FromException<ProduceResponse>(ex);
            }
            exchange.OnOutcome(response, _onOutcome);
        }
    }

    private void OnOutcome(ProduceExchange exchange, ProduceResponse? response, Exception? error)
    {
        try
        {
            if (error is not null)
            {
                _engine.OnRequestFailed(BrokerId, exchange.Batches, error);
            }
            else
            {
                _engine.OnResponse(BrokerId, exchange.Batches, response);
            }
        }
        catch (Exception ex)
        {
            ProducerLog.LoopError(_engine.Logger, ex, $"broker {BrokerId} response", _engine.TopicName);
        }
        finally
        {
            exchange.Clear();
            _exchanges.Enqueue(exchange);
            Interlocked.Decrement(ref _inFlight);
            _engine.RequestDone();
            _signal.Set();
        }
    }

    private void Arm(long deadline)
    {
        if (deadline == long.MaxValue || deadline >= Volatile.Read(ref _armedFor))
        {
            return;
        }
        Volatile.Write(ref _armedFor, deadline);
        var due = _engine.ToTimeSpan(Math.Max(0, deadline - _engine.Now));
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The batches were built for one record format; the negotiated version must carry it.</summary>
    private void CheckFormat(short version)
    {
        var v2 = _engine.Magic == Protocol.Records.RecordBatchFormat.MagicV2;
        if (v2 && version < 3)
        {
            throw new KafkaVersionException(
                $"Broker {BrokerId} speaks Produce up to v{version}, which cannot carry record batch v2: it predates Kafka 0.11. Set BrokerVersion to its release to produce legacy message sets.");
        }
        if (!v2 && version >= 3)
        {
            throw new KafkaVersionException($"Produce v{version} carries record batch v2, but BrokerVersion asked for magic {_engine.Magic} message sets.");
        }
        if (_engine.Options.Compression == CompressionType.Zstd && version < 7)
        {
            throw new KafkaVersionException($"Broker {BrokerId} speaks Produce up to v{version}; zstd-compressed batches need v7 (Kafka 2.1).");
        }
    }

    public async Task StopAsync()
    {
        _signal.Set();
        await _loop.ConfigureAwait(false);
        await _timer.DisposeAsync().ConfigureAwait(false);
    }
}
