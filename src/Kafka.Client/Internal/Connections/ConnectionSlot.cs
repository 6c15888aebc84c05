using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal;

/// <summary>
/// The connection of one traffic class to one broker: opened on first use, reopened on demand after it fails,
/// with exponential backoff and jitter between failed attempts so that a down broker is not hammered.
/// Concurrent callers share one connection attempt.
/// </summary>
internal sealed partial class ConnectionSlot : IAsyncDisposable
{
    private readonly Broker _broker;
    private readonly ConnectionKind _kind;
    private readonly ConnectionSettings _settings;
    private readonly CancellationToken _lifetime;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private BrokerConnection? _connection;
    private Task<BrokerConnection>? _connecting;
    private Task<BrokerConnection>? _aliveTask;
    private int _consecutiveFailures;
    private long _retryNotBefore;
    private bool _disposed;
    // What the attempt in progress waits on, for diagnostics (KafkaClientStatus.RefreshActivity); null between attempts.
    private volatile string? _attemptStep;
    private int _attempt;

    public ConnectionSlot(Broker broker, ConnectionKind kind, ConnectionSettings settings, CancellationToken lifetime)
    {
        _broker = broker;
        _kind = kind;
        _settings = settings;
        _lifetime = lifetime;
        _logger = settings.LoggerFactory.CreateLogger("Kafka.Client.Connection");
    }

    public BrokerConnection? Current
    {
        get
        {
            var connection = Volatile.Read(ref _connection);
            return connection is { IsAlive: true } ? connection : null;
        }
    }

    /// <summary>
    /// What the connection attempt in progress is waiting on (the reconnect backoff, or a setup step and which try of the
    /// resilience pipeline it is), or <see langword="null"/> when no attempt is in progress.
    /// </summary>
    public string? AttemptStep => _attemptStep;

    /// <summary>The live connection, or a new one once any backoff from earlier failures has passed.</summary>
    public Task<BrokerConnection> GetAsync(CancellationToken cancellationToken)
    {
        Task<BrokerConnection> task;
        BrokerConnection? dead = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { IsAlive: true } alive)
            {
                // One completed task per connection, not one per call: producers ask for every request.
                return _aliveTask is { } cached && ReferenceEquals(cached.Result, alive) ? cached : _aliveTask = Task.FromResult(alive);
            }
            if (_connection is not null)
            {
                dead = _connection;
                _connection = null;
            }
            task = _connecting ??= ConnectAsync();
        }
        if (dead is not null)
        {
            _ = dead.DisposeAsync().AsTask();
        }
        return task.WaitAsync(cancellationToken);
    }

    private async Task<BrokerConnection> ConnectAsync()
    {
        // Let GetAsync publish this task before any of it runs, so that a synchronous failure cannot leave a
        // finished task behind as "the attempt in progress".
        await Task.Yield();
        try
        {
            var wait = _settings.TimeProvider.GetElapsedTime(_settings.TimeProvider.GetTimestamp(), Volatile.Read(ref _retryNotBefore));
            if (wait > TimeSpan.Zero)
            {
                _attemptStep = $"waiting out the reconnect backoff ({wait.TotalMilliseconds:0} ms) after {Volatile.Read(ref _consecutiveFailures)} failed attempts";
                await Task.Delay(wait, _settings.TimeProvider, _lifetime).ConfigureAwait(false);
            }
            Volatile.Write(ref _attempt, 0);
            var address = _broker.Address;
            var connection = await _settings.Resilience.ExecuteAsync(
                static (state, token) => new ValueTask<BrokerConnection>(state.slot.AttemptAsync(state.address, token)),
                (slot: this, address), _lifetime).ConfigureAwait(false);
            _attemptStep = null;
            lock (_lock)
            {
                _connecting = null;
                _consecutiveFailures = 0;
                if (_disposed)
                {
                    _ = connection.DisposeAsync().AsTask();
                    throw new ObjectDisposedException(nameof(ConnectionSlot));
                }
                _connection = connection;
            }
            _broker.OnConnectAttempt(succeeded: true);
            return connection;
        }
        catch (Exception ex)
        {
            _attemptStep = null;
            if (ex is not ObjectDisposedException && !_lifetime.IsCancellationRequested)
            {
                _broker.OnConnectAttempt(succeeded: false);
            }
            lock (_lock)
            {
                _connecting = null;
                _consecutiveFailures++;
                var backoff = Backoff(_consecutiveFailures);
                Volatile.Write(ref _retryNotBefore, _settings.TimeProvider.GetTimestamp() + (long)(backoff.TotalSeconds * _settings.TimeProvider.TimestampFrequency));
                Log.ConnectFailed(_logger, ex, _kind.ToString(), _broker.Id, _broker.Address.ToString(), _consecutiveFailures, backoff.TotalMilliseconds);
            }
            throw;
        }
    }

    /// <summary>One try of the resilience pipeline: connects and sets up, naming each step as it begins.</summary>
    private Task<BrokerConnection> AttemptAsync(HostAddress address, CancellationToken cancellationToken)
    {
        var attempt = Interlocked.Increment(ref _attempt);
        var prefix = attempt == 1 ? "connecting" : $"connecting (try {attempt})";
        _attemptStep = prefix;
        return BrokerConnection.ConnectAsync(address, _broker.Id, _kind.ToString(), _settings, _broker.ApiVersionsMemory,
            step => _attemptStep = $"{prefix}: {step}", cancellationToken);
    }

    /// <summary>base × 2^(failures−1), capped, with ±20% jitter so that many clients do not retry in step.</summary>
    private TimeSpan Backoff(int failures)
    {
        var baseMs = _settings.ReconnectBackoff.TotalMilliseconds;
        var maxMs = _settings.ReconnectBackoffMax.TotalMilliseconds;
        var ms = Math.Min(maxMs, baseMs * Math.Pow(2, Math.Min(failures - 1, 30)));
        ms *= 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromMilliseconds(ms);
    }

    /// <summary>Closes the current connection (the broker moved); the next use connects to the new address.</summary>
    public void CloseCurrent()
    {
        BrokerConnection? connection;
        lock (_lock)
        {
            connection = _connection;
            _connection = null;
            _consecutiveFailures = 0;
            Volatile.Write(ref _retryNotBefore, 0);
        }
        if (connection is not null)
        {
            _ = connection.DisposeAsync().AsTask();
        }
    }

    public async ValueTask DisposeAsync()
    {
        BrokerConnection? connection;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            connection = _connection;
            _connection = null;
        }
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Warning, "Could not open the {Kind} connection to broker {BrokerId} at {Address} (failure {Failures}); next attempt in {BackoffMs:0} ms")]
        public static partial void ConnectFailed(ILogger logger, Exception exception, string kind, int brokerId, string address, int failures, double backoffMs);
    }
}
