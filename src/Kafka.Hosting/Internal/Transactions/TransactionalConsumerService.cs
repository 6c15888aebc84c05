using Kafka.Client;
using Microsoft.Extensions.Hosting;

namespace Kafka.Hosting.Internal;

/// <summary>
/// One <c>AddTransactionalConsumer</c> registration at run time: runs a <see cref="TransactionalSession"/> until the
/// host stops, replacing it after <see cref="HostedConsumerOptions.RestartDelay"/> when it fails, except when its
/// producer was fenced: then a newer instance owns the transactional id, and this one stops for good.
/// </summary>
internal sealed class TransactionalConsumerService : IHostedService, IAsyncDisposable, IDisposable
{
    private readonly TransactionalConsumerContext _context;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abortHandling = new();
    private readonly Lock _lock = new();
    private Task? _loop;
    private Task? _stop;
    private volatile TransactionalSession? _session;
    private volatile Exception? _lastFailure;
    private volatile int _state;

    public TransactionalConsumerService(TransactionalConsumerContext context) => _context = context;

    public HostedConsumerRegistration Registration => _context.Registration;

    public HostedConsumerState State => (HostedConsumerState)_state;

    /// <summary>Whether the producer was fenced by a newer instance (then <see cref="State"/> is <see cref="HostedConsumerState.Stopped"/>).</summary>
    public bool Fenced { get; private set; }

    /// <summary>Why the last session failed.</summary>
    public Exception? LastFailure => _lastFailure;

    /// <summary>The session running now, or <see langword="null"/>.</summary>
    public TransactionalSession? Session => _session;

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

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task stop;
        lock (_lock)
        {
            stop = _stop ??= StopCoreAsync();
        }
        try
        {
            await stop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The shutdown timeout ran out: the handlers are cancelled; the transaction in progress aborts.
            await _abortHandling.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The container is disposed, stopped or not (a host disposed without stopping): the loop is told to end and the
    /// handlers are cancelled, without waiting; a transaction left open is aborted by its producer's disposal, or by
    /// the coordinator (after the transaction timeout, or when the next instance initializes).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _abortHandling.CancelAsync().ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _abortHandling.Cancel();
    }

    private async Task StopCoreAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
        _state = (int)HostedConsumerState.Stopped;
        HostedConsumerLog.Stopped(_context.Logger, _context.TopicsText, _context.Group);
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var session = new TransactionalSession(_context, _abortHandling.Token);
            _session = session;
            _state = (int)HostedConsumerState.Running;
            try
            {
                await session.RunAsync(stopping).ConfigureAwait(false);
            }
            catch (ProducerFencedException ex)
            {
                _lastFailure = ex;
                Fenced = true;
                _state = (int)HostedConsumerState.Stopped;
                TransactionalConsumerLog.Fenced(_context.Logger, ex, _context.TopicsText, _context.Group, _context.TransactionalId);
                return;
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
