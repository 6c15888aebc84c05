using Kafka.Client;
using Microsoft.Extensions.Hosting;

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
/// One hosted consumer registration at run time: a loop that runs a <see cref="ConsumerSession"/> (one
/// <see cref="BalancedConsumer"/>) until the host stops, replacing it after <see cref="HostedConsumerOptions.RestartDelay"/>
/// when its group membership fails for good. Stopping stops fetching, lets the handlers running finish (until the
/// stop's token is cancelled, which cancels them), commits what was handled and leaves the group.
/// </summary>
internal sealed class HostedConsumerService : IHostedService
{
    private readonly ConsumerContext _context;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abortHandling = new();
    private readonly Lock _lock = new();
    private Task? _loop;
    private Task? _stop;
    private volatile ConsumerSession? _session;
    private volatile Exception? _lastFailure;
    private volatile int _state;

    public HostedConsumerService(ConsumerContext context) => _context = context;

    public HostedConsumerRegistration Registration => _context.Registration;

    public HostedConsumerOptions Options => _context.Options;

    public TimeProvider Time => _context.Time;

    public HostedConsumerState State => (HostedConsumerState)_state;

    /// <summary>Why the last consumer failed, while restarting.</summary>
    public Exception? LastFailure => _lastFailure;

    /// <summary>The session running now, or <see langword="null"/> between consumers.</summary>
    public ConsumerSession? Session => _session;

    /// <summary>The consumer in use, or <see langword="null"/> between consumers.</summary>
    public BalancedConsumer? Consumer => _session?.Consumer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_loop is null && _stop is null)
            {
                _ = _context.Runtime.Client; // built now, so that a configuration error fails the start
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

    private async Task WaitAsync(Task stop, CancellationToken cancellationToken)
    {
        try
        {
            await stop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The shutdown timeout ran out: the handlers' tokens are cancelled and the host stops waiting; the session
            // still ends on its own (commit, leave) as soon as the handlers give up. (Not a registration on the token:
            // the wait's own continuation may run first, inline, and would dispose it before it fired.)
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
        if (_context.DeadLetters is { } deadLetters)
        {
            await deadLetters.CloseAsync(_context.TopicsText, _abortHandling.Token).ConfigureAwait(false);
        }
        _state = (int)HostedConsumerState.Stopped;
        HostedConsumerLog.Stopped(_context.Logger, _context.TopicsText, _context.Group);
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var session = new ConsumerSession(_context, _abortHandling.Token);
            _session = session;
            _state = (int)HostedConsumerState.Running;
            try
            {
                await session.RunAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                _lastFailure = ex;
                _state = (int)HostedConsumerState.Restarting;
                HostedConsumerLog.ConsumerFailed(_context.Logger, ex, _context.TopicsText, _context.Group, _context.Options.RestartDelay.TotalSeconds);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                // Stopping.
            }
            finally
            {
                _session = null;
            }
            if (stopping.IsCancellationRequested)
            {
                return;
            }
            try
            {
                await Task.Delay(_context.Options.RestartDelay, _context.Time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
