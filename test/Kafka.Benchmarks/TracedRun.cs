using System.Diagnostics;
using System.Diagnostics.Metrics;
using Kafka.Client;

namespace Kafka.Benchmarks;

/// <summary>
/// Someone listening to everything the client emits, as an OpenTelemetry SDK would (every span sampled and recorded,
/// every instrument enabled), but exporting nothing: what tracing costs the client itself. Each message also carries
/// its span's context in its headers (propagation on, the default).
/// </summary>
internal sealed class TracedRun : IDisposable
{
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters;
    private long _stopped;

    public TracedRun()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == KafkaTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _ => Interlocked.Increment(ref _stopped),
        };
        ActivitySource.AddActivityListener(_activities);
        _meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == KafkaTelemetry.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meters.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        _meters.SetMeasurementEventCallback<int>((_, _, _, _) => { });
        _meters.SetMeasurementEventCallback<double>((_, _, _, _) => { });
        _meters.Start();
    }

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }
}
