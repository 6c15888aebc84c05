using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal.Groups;

/// <summary>
/// What every kind of group membership shares — Kafka's classic group protocol (<see cref="GroupMembership"/>),
/// pykafka's ZooKeeper layout (<see cref="ZooKeeperGroupMembership"/>), and any other that hands a consumer partitions
/// (KIP-848's ConsumerGroupHeartbeat, whose heartbeat is its loop, fits the same shape): a life of start, background
/// loops and one stop; one wake-up signal for the loops; the generation handed to the consumer and taken back through
/// <see cref="GroupMembershipCallbacks"/>, one call at a time; failing for good once; and delays that end when it stops.
/// A kind of membership adds its loops (<see cref="Loops"/>), how it leaves (<see cref="LeaveAsync"/>) and what a
/// refused commit means to it (<see cref="ReportGroupError"/>).
/// </summary>
internal abstract partial class GroupMembershipBase : IGroupMembership, IAsyncDisposable
{
    // Set while this membership runs a PartitionsAssigned or PartitionsRevoked callback (flows into the callback only).
    private static readonly AsyncLocal<GroupMembershipBase?> InCallback = new();
    private static readonly TimeSpan FirstCoordinatorBackoff = TimeSpan.FromMilliseconds(100);

    private readonly Lock _lifecycle = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _callbackLifetime = new();
    private readonly AsyncSignal _wake = new();
    private readonly List<Task> _loops = [];
    private Task? _stopTask;
    private volatile GroupGeneration? _current;
    private volatile KafkaException? _failure;

    /// <exception cref="ArgumentException">The group id is empty.</exception>
    protected GroupMembershipBase(Cluster cluster, string groupId, GroupMembershipCallbacks? callbacks, TimeProvider? timeProvider, string logCategory)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        Cluster = cluster;
        GroupId = groupId;
        Callbacks = callbacks ?? new GroupMembershipCallbacks();
        Time = timeProvider ?? cluster.Settings.TimeProvider;
        Logger = cluster.Settings.LoggerFactory.CreateLogger(logCategory);
    }

    /// <summary>The group id.</summary>
    public string GroupId { get; }

    /// <summary>The member's id in the group (empty while it has none).</summary>
    public abstract string MemberId { get; }

    /// <summary>The generation this member is in with its assignment, or <see langword="null"/> between generations.</summary>
    public GroupGeneration? Current => _current;

    /// <summary>Why the membership failed for good, or <see langword="null"/>.</summary>
    public KafkaException? Failure => _failure;

    protected Cluster Cluster { get; }

    protected GroupMembershipCallbacks Callbacks { get; }

    protected TimeProvider Time { get; }

    protected ILogger Logger { get; }

    /// <summary>Cancelled when the membership stops: the loops end.</summary>
    protected CancellationToken Stopping => _stopping.Token;

    /// <summary>Whether the loops were started (a membership stopped before it started has nobody to leave).</summary>
    protected bool WasStarted
    {
        get
        {
            lock (_lifecycle)
            {
                return _loops.Count > 0;
            }
        }
    }

    // ---- life

    /// <summary>Starts taking part in the background. Returns at once; calling it again does nothing.</summary>
    /// <exception cref="InvalidOperationException">The membership was stopped.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lifecycle)
        {
            if (_stopTask is not null)
            {
                throw new InvalidOperationException($"The membership of group '{GroupId}' was stopped; create a new one to join again.");
            }
            if (_loops.Count > 0)
            {
                return Task.CompletedTask;
            }
            OnStarting();
            foreach (var loop in Loops())
            {
                _loops.Add(Task.Run(loop, CancellationToken.None));
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>The loops this kind of membership runs until <see cref="Stopping"/> (a main loop; a heartbeat loop where the protocol has one).</summary>
    protected abstract IEnumerable<Func<Task>> Loops();

    /// <summary>Just before the loops start.</summary>
    protected virtual void OnStarting()
    {
    }

    /// <summary>
    /// Stops: ends the loops, then leaves (<see cref="LeaveAsync"/>: the partitions are revoked, the callback waited for,
    /// and the group told). Every call returns the same stop; a cancelled token stops waiting, and also cancels the
    /// token given to a running callback and to the leaving.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called from a PartitionsAssigned or PartitionsRevoked callback, which the stop would wait for.</exception>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (ReferenceEquals(InCallback.Value, this))
        {
            // The stop waits for the loop, which waits for this callback: it would wait for itself.
            throw new InvalidOperationException(
                $"StopAsync was called from a PartitionsAssigned or PartitionsRevoked callback of group '{GroupId}'; stop the membership from outside its callbacks.");
        }
        Task stop;
        lock (_lifecycle)
        {
            stop = _stopTask ??= StopCoreAsync(cancellationToken);
        }
        return stop.WaitAsync(cancellationToken);
    }

    /// <summary>Stops (see <see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        var failed = _failure is not null;
        OnStopping();
        using var registration = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _callbackLifetime);
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] loops;
        lock (_lifecycle)
        {
            loops = [.. _loops];
        }
        foreach (var loop in loops)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.LoopEndedWithError(Logger, ex, GroupId);
            }
        }
        await LeaveAsync(failed, cancellationToken).ConfigureAwait(false);
        Log.Stopped(Logger, GroupId, MemberId);
    }

    /// <summary>When stopping begins, before the loops end.</summary>
    protected virtual void OnStopping()
    {
    }

    /// <summary>
    /// Once the loops have ended: revokes the partitions (<see cref="RevokeAsync"/>, as lost when <paramref name="failed"/>
    /// or the membership is otherwise gone), tells the group the member leaves, and releases the connections or sessions.
    /// </summary>
    protected abstract Task LeaveAsync(bool failed, CancellationToken cancellationToken);

    /// <inheritdoc/>
    public abstract void ReportGroupError(KafkaErrorCode error);

    // ---- the generation and the callbacks

    /// <summary>The member is in a new generation (set before it is announced, so that whoever is told can read it).</summary>
    protected void BeginGeneration(GroupGeneration generation) => _current = generation;

    /// <summary>Tells the consumer of its partitions in <paramref name="generation"/> and waits for it.</summary>
    protected async Task InvokeAssignedAsync(GroupGeneration generation)
    {
        InCallback.Value = this; // async, so that the value ends with this method
        await Callbacks.InvokeAssignedAsync(generation, CallbackFailed, _callbackLifetime.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends the current generation, if any: the consumer gives its partitions up and commits them (unless
    /// <paramref name="lost"/>: the membership is already gone and they may be another member's).
    /// </summary>
    protected async Task RevokeAsync(bool lost, string reason)
    {
        var current = _current;
        if (current is null)
        {
            return;
        }
        _current = null;
        OnGenerationEnded();
        if (current.Assignment.Count == 0 || Callbacks.PartitionsRevoked is null)
        {
            return;
        }
        Log.Revoking(Logger, GroupId, current.Assignment.Count, current.GenerationId, lost, reason);
        InCallback.Value = this;
        await Callbacks.InvokeRevokedAsync(current, lost, CallbackFailed, _callbackLifetime.Token).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives up some partitions of the current generation and keeps the rest (an incremental rebalance): the consumer
    /// stops fetching them, commits them and lets them go, while it keeps consuming the others.
    /// </summary>
    protected async Task RevokePartitionsAsync(IReadOnlyList<TopicAndPartition> partitions, string reason)
    {
        var current = _current;
        if (current is null || partitions.Count == 0)
        {
            return;
        }
        var given = new HashSet<TopicAndPartition>(partitions);
        TopicAndPartition[] remaining = [.. current.Assignment.Where(p => !given.Contains(p))];
        Log.Revoking(Logger, GroupId, partitions.Count, current.GenerationId, false, reason);
        InCallback.Value = this;
        await Callbacks.InvokeRevokedAsync(current with { Assignment = partitions }, lost: false, CallbackFailed, _callbackLifetime.Token).ConfigureAwait(false);
        _current = current with { Assignment = remaining };
    }

    /// <summary>The current generation has just ended (before the consumer is told).</summary>
    protected virtual void OnGenerationEnded()
    {
    }

    /// <summary>
    /// Fails for good: the partitions are revoked as lost, then the Failed callback runs apart from the loops (so that
    /// it may await the stop, which waits for them).
    /// </summary>
    protected async Task FailAsync(KafkaException error)
    {
        _failure = error;
        OnFailing();
        Log.Failed(Logger, error, GroupId, MemberId);
        await RevokeAsync(lost: true, error.Message).ConfigureAwait(false);
        OnFailed();
        Callbacks.InvokeFailedInBackground(error, CallbackFailed, _callbackLifetime.Token);
    }

    /// <summary>Failing has begun (nothing revoked yet).</summary>
    protected virtual void OnFailing()
    {
    }

    /// <summary>The partitions are revoked; the Failed callback comes next.</summary>
    protected virtual void OnFailed()
    {
    }

    private void CallbackFailed(Exception exception, string callback) => Log.CallbackFailed(Logger, exception, GroupId, callback);

    // ---- signals and delays

    /// <summary>Wakes the main loop; a wake while it is busy is kept, so it looks once more afterwards.</summary>
    protected void Wake() => _wake.Set();

    /// <summary>Waits for <see cref="Wake"/>, or at most <paramref name="timeout"/> when one is given.</summary>
    protected async Task WaitForWakeAsync(TimeSpan? timeout, CancellationToken cancellationToken) =>
        await _wake.WaitAsync(timeout ?? Timeout.InfiniteTimeSpan, Time, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Checks the arguments a group member is created with, and returns the topics it subscribes to, distinct and
    /// sorted.
    /// </summary>
    /// <param name="topics">The topic names.</param>
    /// <param name="options">The membership options, validated here.</param>
    /// <param name="findCoordinator">Finds the group's coordinator.</param>
    /// <param name="regexMayStandIn">Whether a regular expression in the options may stand in for topic names.</param>
    /// <exception cref="ArgumentException">There is nothing to subscribe to, a topic name is empty, or the options are invalid.</exception>
    protected static string[] CheckMemberArguments(
        IReadOnlyList<string> topics, GroupMembershipOptions options, Func<CancellationToken, Task<Broker>> findCoordinator, bool regexMayStandIn)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(findCoordinator);
        var distinct = topics.Distinct(StringComparer.Ordinal).ToArray();
        var nothing = distinct.Length == 0 && !(regexMayStandIn && !string.IsNullOrEmpty(options.TopicRegex));
        if (nothing || Array.Exists(distinct, string.IsNullOrEmpty))
        {
            throw new ArgumentException(regexMayStandIn
                ? "A group member subscribes to at least one topic or a regular expression, and topic names are not empty."
                : "A group member subscribes to at least one topic, and topic names are not empty.", nameof(topics));
        }
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid group membership options: {string.Join(" ", errors)}", nameof(options));
        }
        Array.Sort(distinct, StringComparer.Ordinal);
        return distinct;
    }

    /// <summary>
    /// The pause before looking for the coordinator again after <paramref name="failures"/> failures in a row: from
    /// 100 ms, doubling up to <paramref name="cap"/>, with ±20 % jitter.
    /// </summary>
    protected static TimeSpan CoordinatorBackoff(int failures, TimeSpan cap)
    {
        var capMs = Math.Max(cap.TotalMilliseconds, 1);
        var ms = Math.Min(capMs, FirstCoordinatorBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20)));
        return TimeSpan.FromMilliseconds(ms * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    protected Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(delay, Time, cancellationToken);

    /// <summary>A delay that ends quietly when the membership stops (the loop checks its token next).</summary>
    protected async Task DelaySafelyAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await DelayAsync(delay, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(211, LogLevel.Information, "Group {GroupId}: revoking {PartitionCount} partitions of generation {Generation} (lost: {Lost}): {Reason}")]
        public static partial void Revoking(ILogger logger, string groupId, int partitionCount, int generation, bool lost, string reason);

        [LoggerMessage(212, LogLevel.Error, "Group {GroupId}: the {Callback} callback failed")]
        public static partial void CallbackFailed(ILogger logger, Exception exception, string groupId, string callback);

        [LoggerMessage(214, LogLevel.Error, "Group {GroupId}: membership of '{MemberId}' failed for good")]
        public static partial void Failed(ILogger logger, Exception exception, string groupId, string memberId);

        [LoggerMessage(219, LogLevel.Error, "Group {GroupId}: a membership loop ended with an error")]
        public static partial void LoopEndedWithError(ILogger logger, Exception exception, string groupId);

        [LoggerMessage(220, LogLevel.Debug, "Group {GroupId}: member '{MemberId}' stopped")]
        public static partial void Stopped(ILogger logger, string groupId, string memberId);
    }
}
