using System.Diagnostics;
using Kafka.Client;
using Kafka.Client.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>
/// The background metadata refresh of one client: a refresh at start, then one every
/// <see cref="KafkaHostingOptions.MetadataRefreshInterval"/>, plus early ones the client or the application asks for
/// (coalesced, at least <see cref="KafkaHostingOptions.MinRefreshGap"/> apart). A failure never ends the loop: it is
/// logged once per streak and retried with a growing delay. When the host has stopped, the client's connections are
/// closed.
/// </summary>
internal sealed partial class KafkaClientHostedService : IHostedLifecycleService, IAsyncDisposable
{
    private readonly KafkaClientRuntime _runtime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly string _displayName;
    private Task? _loop;
    private int _started;
    private int _stopRequested;

    public KafkaClientHostedService(KafkaClientRuntime runtime, ILoggerFactory loggerFactory)
    {
        _runtime = runtime;
        _time = runtime.TimeProvider;
        _logger = loggerFactory.CreateLogger(KafkaClientDiagnostics.RefreshLogCategory);
        _displayName = KafkaClientDiagnostics.DisplayName(runtime.Name);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }
        var options = _runtime.HostingOptions;
        _ = _runtime.Client; // built now so that a configuration error fails start-up, not the loop
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        if (!options.WaitForClusterOnStart)
        {
            return;
        }
        Log.WaitingForCluster(_logger, _displayName, options.WaitForClusterTimeout.TotalSeconds);
        try
        {
            await _runtime.Status.FirstSuccess.WaitAsync(options.WaitForClusterTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException(
                $"Kafka client '{_displayName}': no metadata refresh succeeded within {options.WaitForClusterTimeout} (WaitForClusterOnStart). " +
                $"Last error: {_runtime.Status.LastError?.Message ?? "none"}",
                _runtime.Status.LastError);
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Ends the loop: prompt even while a refresh waits on a dead socket, and safe to call more than once.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }
        if (_loop is { } loop)
        {
            // The loop handles its own errors; only the host's stop deadline can end this wait early.
            await loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Every hosted service has stopped: nothing uses the client any more, so its connections are closed.</summary>
    public async Task StoppedAsync(CancellationToken cancellationToken) => await _runtime.DisposeAsync().ConfigureAwait(false);

    /// <summary>
    /// A host disposed without being stopped (a test that failed half way, a host whose start threw) still ends the loop
    /// and the probes it started: otherwise their pending retries would hold up the disposal of the resilience pipelines.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var client = _runtime.Client;
        var failures = 0;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var started = _time.GetTimestamp();
                failures = await RefreshOnceAsync(client, failures, stopping).ConfigureAwait(false);
                var options = _runtime.HostingOptions;
                var wait = failures == 0 ? options.MetadataRefreshInterval : FailureDelay(options, failures);
                await WaitForNextAsync(started, wait, options.MinRefreshGap, stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping.
        }
        Log.Stopped(_logger, _displayName);
    }

    /// <summary>One refresh; returns the number of failures in a row after it (0 on success). Never throws but to stop.</summary>
    private async Task<int> RefreshOnceAsync(KafkaClient client, int failures, CancellationToken stopping)
    {
        var metrics = _runtime.Metrics;
        using var activity = KafkaInstrumentation.Source.StartActivity("kafka.metadata.refresh");
        activity?.SetTag(KafkaClientDiagnostics.ClientNameTag, _displayName);
        var started = _time.GetTimestamp();
        metrics.Refreshes.Add(1, _runtime.NameTag);
        try
        {
            await client.UpdateClusterAsync(stopping).ConfigureAwait(false);
            var succeededAt = _time.GetUtcNow();
            metrics.RefreshDuration.Record(_time.GetElapsedTime(started).TotalSeconds, _runtime.NameTag);
            if (failures > 0)
            {
                Log.Recovered(_logger, _displayName, failures, client.Brokers.Count);
            }
            else
            {
                Log.Refreshed(_logger, _displayName, client.Brokers.Count);
            }
            await ProbeBrokersAsync(client, stopping).ConfigureAwait(false);
            _runtime.Status.OnRefreshSucceeded(succeededAt);
            return 0;
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            var errorType = ex.GetType().Name;
            metrics.RefreshDuration.Record(_time.GetElapsedTime(started).TotalSeconds, _runtime.NameTag, new(KafkaClientDiagnostics.ErrorTypeTag, errorType));
            metrics.RefreshFailures.Add(1, _runtime.NameTag, new(KafkaClientDiagnostics.ErrorTypeTag, errorType));
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            var streak = _runtime.Status.OnRefreshFailed(_time.GetUtcNow(), ex);
            if (streak == 1)
            {
                Log.RefreshFailed(_logger, ex, _displayName);
            }
            else
            {
                Log.StillFailing(_logger, _displayName, streak, ex.Message);
            }
            return streak;
        }
    }

    /// <summary>
    /// Makes sure the client has tried each known broker since this refresh (reusing open connections), so that the
    /// health check's view of reachability is current. Waits at most the connect timeout; slower attempts finish
    /// in the background.
    /// </summary>
    private async Task ProbeBrokersAsync(KafkaClient client, CancellationToken stopping)
    {
        var brokers = client.Brokers.Values.ToArray();
        var probes = new Task[brokers.Length];
        for (var i = 0; i < brokers.Length; i++)
        {
            probes[i] = ProbeAsync(brokers[i], stopping);
        }
        await Task.WhenAll(probes).WaitAsync(client.Options.ConnectTimeout, _time, stopping)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stopping.ThrowIfCancellationRequested();
    }

    private static async Task ProbeAsync(Broker broker, CancellationToken stopping)
    {
        try
        {
            await broker.GetConnectionAsync(ConnectionKind.General, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KafkaException or ObjectDisposedException or OperationCanceledException)
        {
            // A failed attempt is recorded on the broker (Broker.IsReachable); the health check reports it.
        }
    }

    /// <summary>Waits for the next refresh: the interval since the last one started, or an early request after the minimum gap.</summary>
    private async Task WaitForNextAsync(long lastStarted, TimeSpan wait, TimeSpan minGap, CancellationToken stopping)
    {
        using var waitCancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var due = Remaining(lastStarted, wait);
        var timer = due > TimeSpan.Zero ? Task.Delay(due, _time, waitCancel.Token) : Task.CompletedTask;
        var requested = _runtime.Status.RefreshRequested;
        var first = await Task.WhenAny(timer, requested).ConfigureAwait(false);
        await waitCancel.CancelAsync().ConfigureAwait(false);
        stopping.ThrowIfCancellationRequested();
        if (first != requested)
        {
            return;
        }
        var reason = _runtime.Status.TakeRefreshRequest();
        var gap = Remaining(lastStarted, minGap);
        Log.EarlyRefresh(_logger, _displayName, reason ?? "requested", gap.TotalMilliseconds);
        if (gap > TimeSpan.Zero)
        {
            await Task.Delay(gap, _time, stopping).ConfigureAwait(false);
        }
        // Requests that arrived during the gap are served by the refresh that follows.
        _runtime.Status.TakeRefreshRequest();
    }

    private TimeSpan Remaining(long since, TimeSpan span) => span - _time.GetElapsedTime(since);

    /// <summary>After failures: the minimum gap, doubling per failure, at most the refresh interval.</summary>
    internal static TimeSpan FailureDelay(KafkaHostingOptions options, int failures)
    {
        var delay = options.MinRefreshGap * Math.Pow(2, Math.Min(failures - 1, 30));
        return delay < options.MetadataRefreshInterval ? delay : options.MetadataRefreshInterval;
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Debug, "Kafka client '{Client}': metadata refreshed, {BrokerCount} brokers")]
        public static partial void Refreshed(ILogger logger, string client, int brokerCount);

        [LoggerMessage(101, LogLevel.Warning, "Kafka client '{Client}': metadata refresh failed; retrying in the background (further failures are logged at Debug until a refresh succeeds)")]
        public static partial void RefreshFailed(ILogger logger, Exception exception, string client);

        [LoggerMessage(102, LogLevel.Debug, "Kafka client '{Client}': metadata refresh failed again ({Failures} in a row): {Reason}")]
        public static partial void StillFailing(ILogger logger, string client, int failures, string reason);

        [LoggerMessage(103, LogLevel.Information, "Kafka client '{Client}': metadata refresh succeeded again after {Failures} failures, {BrokerCount} brokers")]
        public static partial void Recovered(ILogger logger, string client, int failures, int brokerCount);

        [LoggerMessage(104, LogLevel.Debug, "Kafka client '{Client}': early metadata refresh ({Reason}) in {DelayMs:0} ms")]
        public static partial void EarlyRefresh(ILogger logger, string client, string reason, double delayMs);

        [LoggerMessage(105, LogLevel.Information, "Kafka client '{Client}': waiting up to {TimeoutSeconds} s for the cluster before starting")]
        public static partial void WaitingForCluster(ILogger logger, string client, double timeoutSeconds);

        [LoggerMessage(106, LogLevel.Debug, "Kafka client '{Client}': background metadata refresh stopped")]
        public static partial void Stopped(ILogger logger, string client);
    }
}
