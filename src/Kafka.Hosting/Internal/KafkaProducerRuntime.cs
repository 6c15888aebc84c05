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

    /// <summary>The producer; created now if its topic is already known to the client.</summary>
    /// <exception cref="InvalidOperationException">The topic is not known yet (the host has not started, or could not reach it).</exception>
    public Producer Producer
    {
        get
        {
            if (Volatile.Read(ref _producer) is { } producer)
            {
                return producer;
            }
            if (!_client.Client.Topics.TryGetValue(_registration.Topic, out var topic))
            {
                throw new InvalidOperationException(
                    $"Kafka producer '{Name}': topic '{_registration.Topic}' is not in the client's metadata yet. The producer is created when the host starts; resolve it after that.");
            }
            return Create(topic);
        }
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
