using Kafka.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Registry;

namespace Kafka.Hosting.Internal;

/// <summary>
/// One registered client: builds it on first use (no I/O) from validated options, the app's logging and clock and its
/// resilience pipeline, and closes it when the host stops or the container is disposed.
/// </summary>
internal sealed class KafkaClientRuntime : IAsyncDisposable, IDisposable
{
    private readonly IOptionsMonitor<KafkaClientOptions> _clientOptions;
    private readonly IOptionsMonitor<KafkaHostingOptions> _hostingOptions;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ResiliencePipelineProvider<string> _pipelines;
    private readonly Lazy<KafkaClient> _client;
    private int _disposed;

    public KafkaClientRuntime(
        string name,
        IOptionsMonitor<KafkaClientOptions> clientOptions,
        IOptionsMonitor<KafkaHostingOptions> hostingOptions,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        ResiliencePipelineProvider<string> pipelines)
    {
        Name = name;
        _clientOptions = clientOptions;
        _hostingOptions = hostingOptions;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _pipelines = pipelines;
        Status = new KafkaClusterStatus(this);
        _client = new Lazy<KafkaClient>(Create, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Name { get; }

    public KafkaClusterStatus Status { get; }

    public KafkaHostingOptions HostingOptions => _hostingOptions.Get(Name);

    public TimeProvider TimeProvider => _timeProvider;

    /// <summary>The client, built on first use from validated options.</summary>
    public KafkaClient Client
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _client.Value;
        }
    }

    /// <summary>The client if it has been built, without building it.</summary>
    public KafkaClient? CreatedClient => _client.IsValueCreated ? _client.Value : null;

    private KafkaClient Create()
    {
        var options = _clientOptions.Get(Name); // validated here: an invalid option throws OptionsValidationException
        var pipeline = _pipelines.GetPipeline(KafkaClientResilience.GetPipelineKey(Name));
        return new KafkaClient(options, _loggerFactory, _timeProvider, pipeline);
    }

    /// <summary>For containers disposed synchronously: starts closing the client's connections without waiting.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    /// <summary>Closes every connection of the client (if it was built). Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_client.IsValueCreated)
        {
            await _client.Value.DisposeAsync().ConfigureAwait(false);
        }
    }
}
