using Kafka.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>What a hosted consumer is doing, for its health check.</summary>
internal enum HostedConsumerState
{
    NotStarted,
    Running,
    Restarting,
    Stopped,
}

/// <summary>
/// The life of a hosted consumer registration: a loop that runs one session (one group member) after another until
/// the host stops, waiting <see cref="HostedConsumerOptions.RestartDelay"/> after a session fails, unless the failure
/// ends it for good. Stopping stops the session (it finishes what it handles until the stop's token is cancelled,
/// which cancels the handlers).
/// </summary>
internal abstract class RestartingConsumerService : IHostedService
{
    private readonly KafkaClientRuntime _runtime;
    private readonly TimeProvider _time;
    private readonly TimeSpan _restartDelay;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abortHandling = new();
    private readonly Lock _lock = new();
    private Task? _loop;
    private Task? _stop;
    private volatile Exception? _lastFailure;
    private volatile int _state;

    protected RestartingConsumerService(HostedConsumerRegistration registration, KafkaClientRuntime runtime, HostedConsumerOptions options,
        TimeProvider time, ILogger logger)
    {
        Registration = registration;
        _runtime = runtime;
        _time = time;
        _restartDelay = options.RestartDelay;
        Logger = logger;
        Group = options.Group!;
        TopicsText = string.Join(",", options.Topics);
    }

    public HostedConsumerRegistration Registration { get; }

    public HostedConsumerState State => (HostedConsumerState)_state;

    /// <summary>Why the last session failed.</summary>
    public Exception? LastFailure => _lastFailure;

    protected ILogger Logger { get; }

    protected string Group { get; }

    protected string TopicsText { get; }

    /// <summary>Cancelled when the host's shutdown timeout runs out (or the container is disposed): handlers stop.</summary>
    protected CancellationToken AbortHandling => _abortHandling.Token;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_loop is null && _stop is null)
            {
                _ = _runtime.Client; // built now, so that a configuration error fails the start
                _state = (int)HostedConsumerState.Running;
                _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
            }
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Task stop;
        lock (_lock)
        {
            stop = _stop ??= StopCoreAsync();
        }
        return WaitAsync(stop, cancellationToken);
    }

    /// <summary>Tells the loop to end and cancels the handlers, without waiting (a container disposed without stopping the host).</summary>
    protected void Abandon()
    {
        _stopping.Cancel();
        _abortHandling.Cancel();
    }

    /// <summary>Runs one session until <paramref name="stopping"/> or its failure.</summary>
    protected abstract Task RunSessionAsync(CancellationToken stopping);

    /// <summary>Whether a session's failure ends the consumer for good (no restart); it is logged by the override.</summary>
    protected virtual bool EndsForGood(Exception failure) => false;

    /// <summary>After the loop ended on a stop, before the consumer counts as stopped.</summary>
    protected virtual Task OnStoppingAsync(CancellationToken abortHandling) => Task.CompletedTask;

    private async Task WaitAsync(Task stop, CancellationToken cancellationToken)
    {
        try
        {
            await stop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The shutdown timeout ran out: the handlers' tokens are cancelled and the host stops waiting; the session
            // still ends on its own as soon as the handlers give up. (Not a registration on the token: the wait's own
            // continuation may run first, inline, and would dispose it before it fired.)
            await _abortHandling.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StopCoreAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
        await OnStoppingAsync(_abortHandling.Token).ConfigureAwait(false);
        _state = (int)HostedConsumerState.Stopped;
        HostedConsumerLog.Stopped(Logger, TopicsText, Group);
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            _state = (int)HostedConsumerState.Running;
            try
            {
                await RunSessionAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (EndsForGood(ex))
            {
                _lastFailure = ex;
                _state = (int)HostedConsumerState.Stopped;
                return;
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                _lastFailure = ex;
                _state = (int)HostedConsumerState.Restarting;
                HostedConsumerLog.ConsumerFailed(Logger, ex, TopicsText, Group, _restartDelay.TotalSeconds);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                // Stopping.
            }
            if (stopping.IsCancellationRequested)
            {
                return;
            }
            try
            {
                await Task.Delay(_restartDelay, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
