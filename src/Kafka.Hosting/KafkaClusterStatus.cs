namespace Kafka.Hosting;

/// <summary>
/// The background metadata refresh of one registered client, as seen from outside: when it last succeeded, how it
/// failed, and a way to ask for an early refresh. Resolve it like the client (keyed by the client's name for a named
/// client). It reads state only; it never talks to the cluster.
/// </summary>
public sealed class KafkaClusterStatus
{
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _firstSuccess = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _nextRefresh = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _refreshRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _requestReason;
    private DateTimeOffset? _lastSuccess;
    private DateTimeOffset? _lastFailure;
    private Exception? _lastError;
    private int _consecutiveFailures;
    private long _refreshes;

    internal KafkaClusterStatus(string clientName) => ClientName = clientName;

    /// <summary>The client's name (empty for the default client).</summary>
    public string ClientName { get; }

    /// <summary>When a metadata refresh last succeeded; <see langword="null"/> until one has.</summary>
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

    /// <summary>When a metadata refresh last failed; <see langword="null"/> if none has.</summary>
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

    /// <summary>Why the latest refresh failed; <see langword="null"/> when it succeeded (or none has run).</summary>
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

    /// <summary>How many refreshes in a row have failed (0 after a success).</summary>
    public int ConsecutiveFailures
    {
        get
        {
            lock (_lock)
            {
                return _consecutiveFailures;
            }
        }
    }

    /// <summary>How many refreshes have run, successful or not.</summary>
    public long RefreshCount => Interlocked.Read(ref _refreshes);

    /// <summary>
    /// Asks the background service for a refresh now rather than at the next interval. Requests are coalesced, and
    /// two refreshes start at least <see cref="KafkaHostingOptions.MinRefreshGap"/> apart. The client asks by itself
    /// when it meets a stale leader or an unknown broker.
    /// </summary>
    /// <param name="reason">Why, for the logs.</param>
    public void RequestRefresh(string? reason = null)
    {
        TaskCompletionSource requested;
        lock (_lock)
        {
            _requestReason ??= reason ?? "requested";
            requested = _refreshRequested;
        }
        requested.TrySetResult();
    }

    /// <summary>Completes when the next refresh ends, whether it succeeds or fails.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes after the next refresh.</returns>
    public Task WaitForNextRefreshAsync(CancellationToken cancellationToken = default)
    {
        Task next;
        lock (_lock)
        {
            next = _nextRefresh.Task;
        }
        return next.WaitAsync(cancellationToken);
    }

    internal Task FirstSuccess => _firstSuccess.Task;

    internal Task RefreshRequested
    {
        get
        {
            lock (_lock)
            {
                return _refreshRequested.Task;
            }
        }
    }

    /// <summary>Takes the pending early-refresh request (its reason), so that later requests signal anew.</summary>
    internal string? TakeRefreshRequest()
    {
        lock (_lock)
        {
            if (!_refreshRequested.Task.IsCompleted)
            {
                return null;
            }
            var reason = _requestReason;
            _requestReason = null;
            _refreshRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return reason;
        }
    }

    internal void OnRefreshSucceeded(DateTimeOffset at)
    {
        TaskCompletionSource done;
        lock (_lock)
        {
            _lastSuccess = at;
            _lastError = null;
            _consecutiveFailures = 0;
            done = SwapNextRefresh();
        }
        _firstSuccess.TrySetResult();
        done.TrySetResult();
    }

    /// <summary>Records a failure and returns how many refreshes in a row have now failed.</summary>
    internal int OnRefreshFailed(DateTimeOffset at, Exception error)
    {
        TaskCompletionSource done;
        int failures;
        lock (_lock)
        {
            _lastFailure = at;
            _lastError = error;
            failures = ++_consecutiveFailures;
            done = SwapNextRefresh();
        }
        done.TrySetResult();
        return failures;
    }

    private TaskCompletionSource SwapNextRefresh()
    {
        Interlocked.Increment(ref _refreshes);
        var done = _nextRefresh;
        _nextRefresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return done;
    }
}
