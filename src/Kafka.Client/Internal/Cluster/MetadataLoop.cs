using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal;

/// <summary>
/// The one owner of a client's metadata refreshes (franz-go's metadata loop): a refresh every
/// <see cref="KafkaClientOptions.MetadataRefreshInterval"/> once the client has metadata, early refreshes whoever meets
/// stale metadata asks for (coalesced, at least <see cref="KafkaClientOptions.MinRefreshGap"/> apart), and after a
/// failed refresh a retry after a backoff that doubles per failure, with jitter. Producers, consumers, groups and the
/// application only ask and wait; none runs a schedule of its own. Every timer is on the client's
/// <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// The loop does no I/O until something needs metadata: creating a client opens nothing. A refresh it runs in the
/// background (periodic, early or a retry) then makes sure every known broker has been tried, so that
/// <see cref="Broker.IsReachable"/> is current; a refresh the application asked for with
/// <see cref="KafkaClient.UpdateClusterAsync"/> starts at once, shares a refresh already running, and returns as soon
/// as it is done.
/// </remarks>
internal sealed partial class MetadataLoop
{
    /// <summary>The longest wait before retrying after failed refreshes, however many.</summary>
    internal static readonly TimeSpan MaxFailureBackoff = TimeSpan.FromSeconds(30);

    private readonly Cluster _cluster;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _minGap;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationToken _lifetime;
    private readonly AsyncSignal _signal = new();
    private readonly Lock _lock = new();
    private readonly Task _loop;

    // Guarded by _lock.
    private TaskCompletionSource _next = NewRefresh();
    private TaskCompletionSource? _current;
    private RefreshProgress? _progress;
    private string? _requested;
    private bool _immediate;
    private long _lastStart;
    private long _lastFailed;
    private long _metadataSince;
    private TimeSpan _failureBackoff;
    private int _failures;
    private long _refreshes;
    private DateTimeOffset? _lastSuccess;
    private DateTimeOffset? _lastFailure;
    private Exception? _lastError;
    private DateTimeOffset? _nextDue;

    public MetadataLoop(Cluster cluster, TimeSpan interval, TimeSpan minGap, CancellationToken lifetime)
    {
        _cluster = cluster;
        _interval = interval;
        _minGap = minGap;
        _time = cluster.Settings.TimeProvider;
        _logger = cluster.Settings.LoggerFactory.CreateLogger(LogCategory);
        _lifetime = lifetime;
        _loop = Task.Run(RunAsync, CancellationToken.None);
    }

    /// <summary>The log category of the loop (refreshes, failures, early requests).</summary>
    public const string LogCategory = "Kafka.Client.MetadataRefresh";

    public TimeSpan Interval => _interval;

    /// <summary>The loop task, which ends when the client is disposed.</summary>
    public Task Completion => _loop;

    // ---- what the engines and the application call ----

    /// <summary>
    /// Asks for a refresh soon (stale metadata was met): the loop runs one once <see cref="KafkaClientOptions.MinRefreshGap"/>
    /// has passed since the last one started, serving every request made meanwhile. Returns at once.
    /// </summary>
    public void Request(string reason)
    {
        bool first;
        lock (_lock)
        {
            first = _requested is null;
            _requested ??= reason;
        }
        if (first)
        {
            Log.EarlyRefreshRequested(_logger, reason);
        }
        _signal.Set();
    }

    /// <summary>
    /// Asks for a refresh (as <see cref="Request"/>) and waits for one that starts after this call, so that what the
    /// caller saw is no longer in the snapshot it then reads. Completes when that refresh ends, whether it succeeded or
    /// not: the caller looks at the metadata again and decides.
    /// </summary>
    /// <returns>Why that refresh failed, or <see langword="null"/> when it succeeded.</returns>
    /// <exception cref="OperationCanceledException">The caller's token, or the client's disposal.</exception>
    public async Task<Exception?> WaitForRefreshAsync(string reason, CancellationToken cancellationToken)
    {
        Task next;
        lock (_lock)
        {
            next = _next.Task;
        }
        Request(reason);
        await next.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
        _lifetime.ThrowIfCancellationRequested();
        return next.Exception?.InnerException;
    }

    /// <summary>
    /// A refresh now, without waiting for the gap (the application's <see cref="KafkaClient.UpdateClusterAsync"/>): a
    /// refresh already running is shared, otherwise one starts at once.
    /// </summary>
    /// <exception cref="NoBrokersAvailableException">The refresh failed: no broker or seed answered.</exception>
    public Task RefreshNowAsync(CancellationToken cancellationToken)
    {
        Task refresh;
        lock (_lock)
        {
            if (_current is { } running)
            {
                refresh = running.Task;
            }
            else
            {
                refresh = _next.Task;
                _immediate = true;
            }
        }
        _signal.Set();
        return refresh.WaitAsync(cancellationToken);
    }

    /// <summary>Completes when the refresh running now, or else the next one, ends (successful or not).</summary>
    public Task WaitForNextRefreshAsync(CancellationToken cancellationToken)
    {
        Task refresh;
        lock (_lock)
        {
            refresh = (_current ?? _next).Task;
        }
        return WaitQuietlyAsync(refresh, cancellationToken);

        static async Task WaitQuietlyAsync(Task refresh, CancellationToken cancellationToken)
        {
            await refresh.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Metadata arrived (a full refresh or a topic lookup): from now on the loop keeps it fresh.</summary>
    public void OnMetadataReceived()
    {
        bool first;
        lock (_lock)
        {
            first = _metadataSince == 0;
            if (first)
            {
                _metadataSince = _time.GetTimestamp();
            }
        }
        if (first)
        {
            _signal.Set();
        }
    }

    // ---- status ----

    public DateTimeOffset? LastSuccessfulRefresh
    {
        get
        {
            lock (_lock)
            {
                return _lastSuccess;
            }
        }
    }

    public DateTimeOffset? LastFailedRefresh
    {
        get
        {
            lock (_lock)
            {
                return _lastFailure;
            }
        }
    }

    public Exception? LastError
    {
        get
        {
            lock (_lock)
            {
                return _lastError;
            }
        }
    }

    public int ConsecutiveFailures
    {
        get
        {
            lock (_lock)
            {
                return _failures;
            }
        }
    }

    public long RefreshCount
    {
        get
        {
            lock (_lock)
            {
                return _refreshes;
            }
        }
    }

    /// <summary>When the loop plans its next refresh, or <see langword="null"/> while it has nothing planned (no metadata yet, or running one).</summary>
    public DateTimeOffset? NextRefresh
    {
        get
        {
            lock (_lock)
            {
                return _nextDue;
            }
        }
    }

    /// <summary>Whether a refresh is running now.</summary>
    public bool IsRefreshing
    {
        get
        {
            lock (_lock)
            {
                return _current is not null;
            }
        }
    }

    /// <summary>What the refresh running now is doing (see <see cref="KafkaClientStatus.RefreshActivity"/>); null when none runs.</summary>
    public string? RefreshActivity
    {
        get
        {
            RefreshProgress? progress;
            lock (_lock)
            {
                progress = _progress;
            }
            return progress?.Describe();
        }
    }

    // ---- the loop ----

    private async Task RunAsync()
    {
        while (!_lifetime.IsCancellationRequested)
        {
            try
            {
                var (wait, reason, background) = NextPass();
                if (wait != TimeSpan.Zero)
                {
                    // A request, a refresh asked for now or new metadata wakes the loop to plan again.
                    await _signal.WaitAsync(wait, _time, _lifetime).ConfigureAwait(false);
                    continue;
                }
                if (await RefreshAsync(reason!).ConfigureAwait(false) && background)
                {
                    await ProbeBrokersAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Nothing ends the loop but the client's disposal; a bug here must not leave the client without metadata.
                Log.LoopError(_logger, ex);
                await Task.Delay(_minGap, _time, _lifetime).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        lock (_lock)
        {
            _nextDue = null;
            _next.TrySetCanceled(_lifetime);
        }
        Log.Stopped(_logger);
    }

    /// <summary>What to do next: refresh now (zero wait) for the reason given, or wait that long (negative: until woken).</summary>
    private (TimeSpan Wait, string? Reason, bool Background) NextPass()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            if (_immediate)
            {
                _nextDue = null;
                return (TimeSpan.Zero, "requested by the application", false);
            }
            long due;
            string reason;
            if (_lastStart == 0 && _requested is not null)
            {
                due = now;
                reason = _requested;
            }
            else if (_failures > 0)
            {
                due = _lastFailed + Ticks(_failureBackoff);
                reason = _requested ?? "retrying after a failed refresh";
            }
            else if (_requested is not null)
            {
                due = _lastStart + Ticks(_minGap);
                reason = _requested;
            }
            else if (_metadataSince != 0)
            {
                due = Math.Max(_lastStart, _metadataSince) + Ticks(_interval);
                reason = "periodic";
            }
            else
            {
                _nextDue = null;
                return (Timeout.InfiniteTimeSpan, null, true);
            }
            var wait = _time.GetElapsedTime(now, due);
            if (wait > TimeSpan.Zero)
            {
                _nextDue = _time.GetUtcNow() + wait;
                return (wait, null, true);
            }
            _nextDue = null;
            return (TimeSpan.Zero, reason, true);
        }
    }

    /// <summary>One refresh; true when it succeeded. Never throws but when the client is disposed.</summary>
    private async Task<bool> RefreshAsync(string reason)
    {
        TaskCompletionSource done;
        int failuresBefore;
        var progress = new RefreshProgress(_time);
        lock (_lock)
        {
            done = _next;
            _current = done;
            _progress = progress;
            _next = NewRefresh();
            _immediate = false;
            _requested = null;
            _lastStart = _time.GetTimestamp();
            failuresBefore = _failures;
        }
        try
        {
            return await RunRefreshAsync(reason, done, failuresBefore, progress).ConfigureAwait(false);
        }
        catch (Exception ex) when (!done.Task.IsCompleted)
        {
            // Something threw outside the refresh's own handling (a telemetry listener): the refresh failed all the
            // same. A waiter must never be left on a refresh that no longer runs, and the loop retries as after any failure.
            RecordFailure(ex);
            done.TrySetException(ex);
            _ = done.Task.Exception;
            return false;
        }
        finally
        {
            lock (_lock)
            {
                _progress = null;
            }
        }
    }

    /// <summary>Records a failed refresh: the status, and the backoff before the retry. Returns how many failed in a row.</summary>
    private int RecordFailure(Exception error)
    {
        lock (_lock)
        {
            _current = null;
            _progress = null;
            _refreshes++;
            _lastFailed = _time.GetTimestamp();
            _lastFailure = _time.GetUtcNow();
            _lastError = error;
            _failureBackoff = FailureBackoff(++_failures);
            return _failures;
        }
    }

    private async Task<bool> RunRefreshAsync(string reason, TaskCompletionSource done, int failuresBefore, RefreshProgress progress)
    {
        var clientTag = _cluster.Settings.ClientTag;
        var started = _time.GetTimestamp();
        Activity? activity = null;
        try
        {
            try
            {
                if (failuresBefore == 0)
                {
                    Log.Refreshing(_logger, reason);
                }
                activity = ClientTelemetry.Source.StartActivity(KafkaTelemetry.MetadataRefreshSpan);
                activity?.SetTag(ClientTelemetry.SystemTag.Key, ClientTelemetry.SystemTag.Value);
                activity?.SetTag(clientTag.Key, clientTag.Value);
                ClientTelemetry.Refreshes.Add(1, ClientTelemetry.SystemTag, clientTag);
                await _cluster.RefreshAllAsync(progress, _lifetime).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
            {
                lock (_lock)
                {
                    _current = null;
                }
                done.TrySetCanceled(_lifetime);
                throw;
            }
            catch (Exception ex)
            {
                var errorType = new KeyValuePair<string, object?>(KafkaTelemetry.ErrorTypeTag, ex.GetType().Name);
                ClientTelemetry.RefreshDuration.Record(_time.GetElapsedTime(started).TotalSeconds, ClientTelemetry.SystemTag, clientTag, errorType);
                ClientTelemetry.RefreshFailures.Add(1, ClientTelemetry.SystemTag, clientTag, errorType);
                activity?.SetTag(errorType.Key, errorType.Value);
                activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
                var failures = RecordFailure(ex);
                done.TrySetException(ex);
                _ = done.Task.Exception; // observed: nobody may be waiting for this refresh
                if (failures == 1)
                {
                    Log.RefreshFailed(_logger, ex, _failureBackoff.TotalMilliseconds);
                }
                else
                {
                    Log.StillFailing(_logger, failures, ex.Message, _failureBackoff.TotalMilliseconds);
                }
                return false;
            }
            ClientTelemetry.RefreshDuration.Record(_time.GetElapsedTime(started).TotalSeconds, ClientTelemetry.SystemTag, clientTag);
            lock (_lock)
            {
                _current = null;
                _progress = null;
                _refreshes++;
                _lastSuccess = _time.GetUtcNow();
                _lastError = null;
                _failures = 0;
            }
            done.TrySetResult();
            if (failuresBefore > 0)
            {
                Log.Recovered(_logger, failuresBefore, _cluster.Brokers.Count);
            }
            else
            {
                Log.Refreshed(_logger, _cluster.Brokers.Count);
            }
            return true;
        }
        finally
        {
            activity?.Dispose();
        }
    }

    /// <summary>
    /// Makes sure the client has tried each known broker since this refresh (open connections are reused), so that
    /// reachability is current for health checks. Waits at most the connect timeout; slower attempts finish in the
    /// background.
    /// </summary>
    private async Task ProbeBrokersAsync()
    {
        var brokers = _cluster.Brokers.Values.ToArray();
        if (brokers.Length == 0)
        {
            return;
        }
        var probes = new Task[brokers.Length];
        for (var i = 0; i < brokers.Length; i++)
        {
            probes[i] = ProbeAsync(brokers[i], _lifetime);
        }
        await Task.WhenAll(probes).WaitAsync(_cluster.Settings.ConnectTimeout, _time, _lifetime)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        static async Task ProbeAsync(Broker broker, CancellationToken cancellationToken)
        {
            try
            {
                await broker.GetConnectionAsync(ConnectionKind.General, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is KafkaException or ObjectDisposedException or OperationCanceledException)
            {
                // A failed attempt is recorded on the broker (Broker.IsReachable).
            }
        }
    }

    /// <summary>The minimum gap, doubling per failure in a row, at most <see cref="MaxFailureBackoff"/> (and the interval), ±20% jitter.</summary>
    private TimeSpan FailureBackoff(int failures)
    {
        var cap = Math.Min(MaxFailureBackoff.TotalMilliseconds, _interval.TotalMilliseconds);
        var ms = Math.Min(cap, _minGap.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30)));
        return TimeSpan.FromMilliseconds(ms * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static TaskCompletionSource NewRefresh() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Debug, "Metadata refreshed, {BrokerCount} brokers")]
        public static partial void Refreshed(ILogger logger, int brokerCount);

        [LoggerMessage(101, LogLevel.Warning, "Metadata refresh failed; retrying in {BackoffMs:0} ms and in the background after that (further failures are logged at Debug until a refresh succeeds)")]
        public static partial void RefreshFailed(ILogger logger, Exception exception, double backoffMs);

        [LoggerMessage(102, LogLevel.Debug, "Metadata refresh failed again ({Failures} in a row): {Reason}; retrying in {BackoffMs:0} ms")]
        public static partial void StillFailing(ILogger logger, int failures, string reason, double backoffMs);

        [LoggerMessage(103, LogLevel.Information, "Metadata refresh succeeded again after {Failures} failures, {BrokerCount} brokers")]
        public static partial void Recovered(ILogger logger, int failures, int brokerCount);

        [LoggerMessage(104, LogLevel.Debug, "Early metadata refresh requested: {Reason}")]
        public static partial void EarlyRefreshRequested(ILogger logger, string reason);

        [LoggerMessage(106, LogLevel.Debug, "Background metadata refresh stopped")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(107, LogLevel.Debug, "Refreshing metadata: {Reason}")]
        public static partial void Refreshing(ILogger logger, string reason);

        [LoggerMessage(108, LogLevel.Error, "The metadata loop met an unexpected error; it goes on")]
        public static partial void LoopError(ILogger logger, Exception exception);
    }
}
