using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Kafka.ZooKeeper.Internal;

/// <summary>Work for the <see cref="EventDispatcher"/>: a completion, a watch notification or a state change.</summary>
internal abstract class DispatchItem
{
    public abstract void Dispatch(ILogger logger);
}

/// <summary>
/// Runs completions, watch callbacks and state events one at a time, in the order the connection produced them
/// (ZooKeeper's EventThread). Completing operations here too keeps ZooKeeper's guarantee that a watch event is
/// seen before the result of a read that follows the change.
/// </summary>
internal sealed class EventDispatcher
{
    private readonly Channel<DispatchItem> _channel =
        Channel.CreateUnbounded<DispatchItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private Task? _loop;

    public EventDispatcher(ILogger logger) => _logger = logger;

    public void Start()
    {
        lock (_gate)
        {
            _loop ??= Task.Run(RunAsync);
        }
    }

    public void Post(DispatchItem item)
    {
        if (!_channel.Writer.TryWrite(item))
        {
            // Stopped: nothing else will run it. Completions use asynchronous continuations, so this cannot re-enter.
            Run(item);
        }
    }

    /// <summary>Stops taking work, then waits (up to <paramref name="timeout"/>) for what was posted to run.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        _channel.Writer.TryComplete();
        Task? loop;
        lock (_gate)
        {
            loop = _loop;
            _loop ??= Task.CompletedTask;
        }
        if (loop is null)
        {
            while (_channel.Reader.TryRead(out var item))
            {
                Run(item);
            }
            return;
        }
        try
        {
            await loop.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.DispatcherStuck((int)timeout.TotalMilliseconds);
        }
    }

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                Run(item);
            }
        }
    }

    private void Run(DispatchItem item)
    {
        try
        {
            item.Dispatch(_logger);
        }
#pragma warning disable CA1031 // The loop must survive whatever an item throws.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.LoopFailed("event", ex);
        }
    }
}
