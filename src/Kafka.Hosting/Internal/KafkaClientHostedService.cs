using System.Globalization;
using Kafka.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>
/// Starts and ends one registered client with the host. The client keeps its own metadata fresh (its background
/// refresh: every <see cref="Kafka.Client.KafkaClientOptions.MetadataRefreshInterval"/>, early on stale metadata,
/// retried with backoff); this service only asks for its first refresh when the host starts, waits for it when
/// <see cref="KafkaHostingOptions.WaitForClusterOnStart"/> says so, and closes the client once every hosted service has
/// stopped.
/// </summary>
internal sealed partial class KafkaClientHostedService : IHostedLifecycleService, IAsyncDisposable
{
    private readonly KafkaClientRuntime _runtime;
    private readonly ILogger _logger;
    private readonly string _displayName;
    private int _started;

    public KafkaClientHostedService(KafkaClientRuntime runtime, ILoggerFactory loggerFactory)
    {
        _runtime = runtime;
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
        var client = _runtime.Client; // built now so that a configuration error fails start-up
        client.RequestRefresh("the host is starting");
        var options = _runtime.HostingOptions;
        if (!options.WaitForClusterOnStart)
        {
            return;
        }
        Log.WaitingForCluster(_logger, _displayName, options.WaitForClusterTimeout.TotalSeconds);
        using var timeout = new CancellationTokenSource(options.WaitForClusterTimeout, _runtime.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            // The client retries failed refreshes by itself; start-up waits for the first that succeeds. The wait is
            // taken before the status is read: a refresh that ends between a read and a later wait would not be the one
            // waited for, and the next (the periodic one) may come long after the timeout.
            while (true)
            {
                var next = client.Status.WaitForNextRefreshAsync(linked.Token);
                if (ReadLastSuccessfulRefresh(client.Status) is not null)
                {
                    return;
                }
                await next.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            if (client.Status.LastSuccessfulRefresh is not null)
            {
                return; // it succeeded as the time ran out
            }
            throw new TimeoutException(DescribeTimeout(client.Status, options.WaitForClusterTimeout), client.Status.LastError);
        }
    }

    /// <summary>
    /// How start-up reads whether a refresh has succeeded. Tests replace it to make a refresh end at a chosen point of
    /// the wait (right after a read), the interleaving a busy machine produces only rarely.
    /// </summary>
    internal Func<KafkaClientStatus, DateTimeOffset?> ReadLastSuccessfulRefresh { get; set; } = static status => status.LastSuccessfulRefresh;

    /// <summary>Why start-up gave up: what the refresh running now waits on (broker or seed, step), or how the last ones ended.</summary>
    private string DescribeTimeout(KafkaClientStatus status, TimeSpan waited)
    {
        var activity = status.RefreshActivity;
        var error = status.LastError;
        var ended = status.RefreshCount;
        var state = (activity, ended) switch
        {
            (not null, 0) => $"The first refresh is still running: {activity}.",
            (not null, _) => $"{ended} refreshes ended without success; one is running: {activity}.",
            (null, 0) => "No refresh has run.",
            _ => $"{ended} refreshes ended without success; none is running now (the next is planned for {status.NextRefresh?.ToString("O", CultureInfo.InvariantCulture) ?? "no time yet"}).",
        };
        return $"Kafka client '{_displayName}': no metadata refresh succeeded within {waited} (WaitForClusterOnStart). " +
            $"{state} Last error: {error?.Message ?? "none"}";
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Nothing to stop yet: hosted services stopping after this one (producers flushing, consumers committing) still
    /// need the client's metadata. The client's refresh ends with the client, in <see cref="StoppedAsync"/>.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// A host disposed without being stopped (a test that failed half way, a host whose start threw) still ends the
    /// client's refresh loop and the probes it started: otherwise their pending retries would hold up the disposal of
    /// the resilience pipelines. Disposing the client twice is harmless.
    /// </summary>
    public ValueTask DisposeAsync() => _runtime.DisposeAsync();

    /// <summary>
    /// Every hosted service has stopped: nothing uses the client any more, so it is disposed (its background refresh
    /// ends, abandoning one in flight, and its connections are closed).
    /// </summary>
    public async Task StoppedAsync(CancellationToken cancellationToken) => await _runtime.DisposeAsync().ConfigureAwait(false);

    private static partial class Log
    {
        [LoggerMessage(105, LogLevel.Information, "Kafka client '{Client}': waiting up to {TimeoutSeconds} s for the cluster before starting")]
        public static partial void WaitingForCluster(ILogger logger, string client, double timeoutSeconds);
    }
}
