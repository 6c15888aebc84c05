using Kafka.Client;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>
/// One registered producer: created when the host starts (its topic is looked up, and created where the brokers allow
/// it), or on first resolution if its topic is already in the client's metadata; flushed and disposed when the host
/// stops or the container is disposed.
/// </summary>
internal sealed partial class KafkaProducerRuntime : IAsyncDisposable, IDisposable
{
    public const string LogCategory = "Kafka.Hosting.Producer";

    private readonly KafkaProducerRegistration _registration;
    private readonly KafkaClientRuntime _client;
    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Producer? _producer;
    private bool _disposed;

    public KafkaProducerRuntime(KafkaProducerRegistration registration, KafkaClientRuntime client, IServiceProvider services, ILogger logger)
    {
        _registration = registration;
        _client = client;
        _services = services;
        _logger = logger;
    }

    public string Name => _registration.Name;

    /// <summary>The producer if it has been created.</summary>
    public Producer? CreatedProducer => Volatile.Read(ref _producer);

    /// <summary>
    /// The producer; created now if it was not yet. Resolved before the host has started (a hosted service that takes it
    /// in its constructor is built before any hosted service starts), it looks its topic up first, waiting for the
    /// cluster up to <see cref="KafkaHostingOptions.WaitForClusterTimeout"/>, as a client that waits on start would.
    /// </summary>
    /// <exception cref="InvalidOperationException">The topic could not be looked up (the inner exception says why).</exception>
    public Producer Producer
    {
        get
        {
            if (Volatile.Read(ref _producer) is { } producer)
            {
                return producer;
            }
            if (_client.Client.Topics.TryGetValue(_registration.Topic, out var known))
            {
                return Create(known);
            }
            var timeout = _client.HostingOptions.WaitForClusterTimeout;
            Kafka.Client.Topic topic;
            try
            {
                // Off the caller's context: the lookup's continuations must not need the thread that waits for them.
                topic = Task.Run(() => LookUpAsync(timeout)).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is KafkaException or KeyNotFoundException or OperationCanceledException)
            {
                throw new InvalidOperationException(
                    $"Kafka producer '{Name}': topic '{_registration.Topic}' could not be looked up within {timeout} (WaitForClusterTimeout): {ex.Message}", ex);
            }
            return Create(topic);
        }
    }

    private async Task<Kafka.Client.Topic> LookUpAsync(TimeSpan timeout)
    {
        using var bound = new CancellationTokenSource(timeout, _client.TimeProvider);
        return await _client.Client.Topics.GetAsync(_registration.Topic, bound.Token).ConfigureAwait(false);
    }

    /// <summary>Looks the topic up (which may create it) and creates the producer; a failure is logged, not thrown.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (CreatedProducer is not null)
        {
            return;
        }
        try
        {
            var topic = await _client.Client.Topics.GetAsync(_registration.Topic, cancellationToken).ConfigureAwait(false);
            Create(topic);
            Log.Started(_logger, Name, _registration.Topic);
        }
        catch (Exception ex) when (ex is KafkaException or KeyNotFoundException)
        {
            // The client's refresh may find the topic later; resolving the producer then creates it.
            Log.TopicUnavailable(_logger, ex, Name, _registration.Topic);
        }
    }

    private Producer Create(Kafka.Client.Topic topic)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _producer ??= topic.GetProducer(_registration.Options(_services));
        }
    }

    /// <summary>Delivers what is queued (until <paramref name="cancellationToken"/>, the host's shutdown deadline), then disposes the producer.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var producer = Detach();
        if (producer is null)
        {
            return;
        }
        try
        {
            await producer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.FlushCut(_logger, Name, producer.QueuedMessages);
        }
        await producer.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>For containers disposed synchronously: starts disposing the producer without waiting.</summary>
    public void Dispose() => Detach()?.Dispose();

    public async ValueTask DisposeAsync()
    {
        if (Detach() is { } producer)
        {
            await producer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Producer? Detach()
    {
        lock (_lock)
        {
            _disposed = true;
            var producer = _producer;
            _producer = null;
            return producer;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Kafka producer '{Name}' started for topic {Topic}")]
        public static partial void Started(ILogger logger, string name, string topic);

        [LoggerMessage(2, LogLevel.Warning, "Kafka producer '{Name}': topic {Topic} is not available at start; the producer is created when it first is")]
        public static partial void TopicUnavailable(ILogger logger, Exception exception, string name, string topic);

        [LoggerMessage(3, LogLevel.Warning, "Kafka producer '{Name}': the host's shutdown deadline cut its flush with {Count} message(s) queued; disposing it")]
        public static partial void FlushCut(ILogger logger, string name, int count);
    }
}
