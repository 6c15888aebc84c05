using Kafka.Client;

namespace Kafka.Hosting.Internal;

/// <summary>
/// One <c>AddTransactionalConsumer</c> registration at run time: runs a <see cref="TransactionalSession"/> until the
/// host stops, replacing it after <see cref="HostedConsumerOptions.RestartDelay"/> when it fails, except when its
/// producer was fenced: then a newer instance owns the transactional id, and this one stops for good.
/// </summary>
internal sealed class TransactionalConsumerService(TransactionalConsumerContext context)
    : RestartingConsumerService(context.Registration, context.Runtime, context.Options, context.Time, context.Logger), IAsyncDisposable, IDisposable
{
    private volatile TransactionalSession? _session;
    private volatile bool _fenced;

    /// <summary>Whether the producer was fenced by a newer instance (then <see cref="RestartingConsumerService.State"/> is <see cref="HostedConsumerState.Stopped"/>).</summary>
    public bool Fenced => _fenced;

    /// <summary>The session running now, or <see langword="null"/>.</summary>
    public TransactionalSession? Session => _session;

    /// <summary>
    /// The container is disposed, stopped or not (a host disposed without stopping): the loop is told to end and the
    /// handlers are cancelled, without waiting; a transaction left open is aborted by its producer's disposal, or by
    /// the coordinator (after the transaction timeout, or when the next instance initializes).
    /// </summary>
    public void Dispose() => Abandon();

    public ValueTask DisposeAsync()
    {
        Abandon();
        return ValueTask.CompletedTask;
    }

    protected override async Task RunSessionAsync(CancellationToken stopping)
    {
        var session = new TransactionalSession(context, AbortHandling);
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

    protected override bool EndsForGood(Exception failure)
    {
        if (failure is not ProducerFencedException)
        {
            return false;
        }
        _fenced = true;
        TransactionalConsumerLog.Fenced(Logger, failure, TopicsText, Group, context.TransactionalId);
        return true;
    }
}
