using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>
/// A unit of ordered work a worker runs: a partition's lane, or one key-ordered sub-lane of it. It is in the ready
/// queue at most once; <see cref="RunAsync"/> works until it has nothing to do (returns <see langword="false"/>, having
/// cleared its scheduled mark under its lock) or has used its turn (returns <see langword="true"/> and is queued again,
/// behind the others).
/// </summary>
internal abstract class LaneWork
{
    public abstract ValueTask<bool> RunAsync();
}

/// <summary>
/// The workers of one consumer session: <see cref="HostedConsumerOptions.MaxConcurrency"/> tasks taking ready lanes in
/// turn, so at most that many handlers run at once and every lane keeps its own order.
/// </summary>
internal sealed class LaneScheduler
{
    private readonly Channel<LaneWork> _ready = Channel.CreateUnbounded<LaneWork>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly Task[] _workers;
    private readonly ILogger _logger;
    private readonly string _topics;
    private readonly string _group;

    public LaneScheduler(int workers, ILogger logger, string topics, string group)
    {
        _logger = logger;
        _topics = topics;
        _group = group;
        _workers = new Task[workers];
        for (var i = 0; i < workers; i++)
        {
            _workers[i] = Task.Run(WorkAsync, CancellationToken.None);
        }
    }

    /// <summary>Queues work that has just been marked scheduled.</summary>
    public void Post(LaneWork work) => _ready.Writer.TryWrite(work);

    private async Task WorkAsync()
    {
        var reader = _ready.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var work))
            {
                bool more;
                try
                {
                    more = await work.RunAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // Lanes handle their handlers' failures; this is a bug, and the lane must not take the worker down.
                    HostedConsumerLog.LaneFailed(_logger, ex, _topics, _group);
                    more = false;
                }
                if (more)
                {
                    Post(work);
                }
            }
        }
    }

    /// <summary>Lets the workers finish what they run and ends them (lanes are closed first, so they return at once).</summary>
    public async Task StopAsync()
    {
        _ready.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }
}
