using Kafka.Client;

namespace Kafka.Hosting.Internal;

/// <summary>
/// One hosted consumer registration at run time: a loop that runs a <see cref="ConsumerSession"/> (one
/// <see cref="BalancedConsumer"/>) until the host stops, replacing it after <see cref="HostedConsumerOptions.RestartDelay"/>
/// when its group membership fails for good. Stopping stops fetching, lets the handlers running finish (until the
/// stop's token is cancelled, which cancels them), commits what was handled and leaves the group.
/// </summary>
internal sealed class HostedConsumerService(ConsumerContext context)
    : RestartingConsumerService(context.Registration, context.Runtime, context.Options, context.Time, context.Logger)
{
    private volatile ConsumerSession? _session;

    public HostedConsumerOptions Options => context.Options;

    public TimeProvider Time => context.Time;

    /// <summary>The session running now, or <see langword="null"/> between consumers.</summary>
    public ConsumerSession? Session => _session;

    /// <summary>The consumer in use, or <see langword="null"/> between consumers.</summary>
    public BalancedConsumer? Consumer => _session?.Consumer;

    protected override async Task RunSessionAsync(CancellationToken stopping)
    {
        var session = new ConsumerSession(context, AbortHandling);
        _session = session;
        try
        {
            await session.RunAsync(stopping).ConfigureAwait(false);
        }
        finally
        {
            _session = null;
        }
    }

    protected override async Task OnStoppingAsync(CancellationToken abortHandling)
    {
        if (context.DeadLetters is { } deadLetters)
        {
            await deadLetters.CloseAsync(context.TopicsText, abortHandling).ConfigureAwait(false);
        }
    }
}
