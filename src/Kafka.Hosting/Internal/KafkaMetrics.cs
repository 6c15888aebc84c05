using System.Diagnostics.Metrics;

namespace Kafka.Hosting.Internal;

/// <summary>The instruments of every Kafka client in one container, created once from the container's meter factory.</summary>
internal sealed class KafkaMetrics : IDisposable
{
    // Durations are short network round trips: the OpenTelemetry buckets for HTTP durations suit them.
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Lock _lock = new();
    private readonly List<KafkaClientRuntime> _clients = [];

    public KafkaMetrics(IMeterFactory? meterFactory)
    {
        // Without a meter factory (a bare ServiceCollection) the meter is our own, disposed with the container.
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(KafkaClientDiagnostics.MeterName) ?? new Meter(KafkaClientDiagnostics.MeterName);
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets };
        Refreshes = _meter.CreateCounter<long>(KafkaClientDiagnostics.MetadataRefreshes, "{refresh}", "Metadata refreshes attempted in the background.");
        RefreshFailures = _meter.CreateCounter<long>(KafkaClientDiagnostics.MetadataRefreshFailures, "{refresh}", "Metadata refreshes that failed.");
        RefreshDuration = _meter.CreateHistogram(KafkaClientDiagnostics.MetadataRefreshDuration, "s", "How long each metadata refresh took.", advice: advice);
        Connections = _meter.CreateUpDownCounter<long>(KafkaClientDiagnostics.OpenConnections, "{connection}", "TCP connections to brokers open now.");
        RequestDuration = _meter.CreateHistogram(KafkaClientDiagnostics.RequestDuration, "s", "Request/response round trips by API.", advice: advice);
        _meter.CreateObservableGauge(KafkaClientDiagnostics.KnownBrokers, ObserveBrokers, "{broker}", "Brokers in the client's latest metadata.");
    }

    public Counter<long> Refreshes { get; }

    public Counter<long> RefreshFailures { get; }

    public Histogram<double> RefreshDuration { get; }

    public UpDownCounter<long> Connections { get; }

    public Histogram<double> RequestDuration { get; }

    /// <summary>Adds a client to the known-brokers gauge.</summary>
    public void Track(KafkaClientRuntime client)
    {
        lock (_lock)
        {
            _clients.Add(client);
        }
    }

    private List<Measurement<int>> ObserveBrokers()
    {
        lock (_lock)
        {
            var result = new List<Measurement<int>>(_clients.Count);
            foreach (var runtime in _clients)
            {
                if (runtime.CreatedClient is { } client)
                {
                    result.Add(new Measurement<int>(client.Brokers.Count, runtime.NameTag));
                }
            }
            return result;
        }
    }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
