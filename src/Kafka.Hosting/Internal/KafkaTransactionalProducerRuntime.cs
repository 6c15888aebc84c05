using Kafka.Client;
using Microsoft.Extensions.Hosting;

namespace Kafka.Hosting.Internal;

/// <summary>
/// One producer registered with <c>AddTransactionalProducer</c>: created on first resolution, initialized when the host
/// starts (which fences older producers with its transactional id), disposed when the host stops or the container is
/// disposed (aborting a transaction left open). Hosted services stop in reverse order of registration, so it is
/// disposed before its client closes its connections.
/// </summary>
internal sealed class KafkaTransactionalProducerRuntime(string name, KafkaClientRuntime client, ProducerOptions options)
    : IHostedService, IAsyncDisposable, IDisposable
{
    private readonly Lock _lock = new();
    private TransactionalProducer? _producer;
    private bool _disposed;

    public TransactionalProducer Producer
    {
        get
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _producer ??= client.Client.GetTransactionalProducer(options);
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Producer.InitTransactionsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaException ex)
        {
            throw new InvalidOperationException($"Kafka transactional producer '{name}' ({options.TransactionalId}) could not initialize: {ex.Message}", ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    /// <summary>For containers disposed synchronously: starts disposing the producer without waiting.</summary>
    public void Dispose() => _ = DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        TransactionalProducer? producer;
        lock (_lock)
        {
            _disposed = true;
            producer = _producer;
            _producer = null;
        }
        if (producer is not null)
        {
            await producer.DisposeAsync().ConfigureAwait(false);
        }
    }

    public override string ToString() => $"KafkaTransactionalProducerRuntime({name})";
}
