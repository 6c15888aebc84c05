using System.Diagnostics;
using Kafka.Client.Internal;

namespace Kafka.Client;

/// <summary>
/// The processing of a consumed message or batch, from <see cref="KafkaTelemetry.StartProcess(ConsumedMessage, string?)"/>:
/// its <c>process</c> span (when someone listens) and its <c>messaging.process.duration</c> measurement (when that
/// instrument is enabled). Call <see cref="End"/> once, when the handling ends. A default scope (nobody listening)
/// costs nothing and <see cref="End"/> does nothing.
/// </summary>
public readonly struct KafkaProcessScope
{
    private readonly long _started;
    private readonly string? _topic;
    private readonly string? _group;
    private readonly Activity? _previous;

    internal KafkaProcessScope(Activity? activity, long started, string topic, string? group, Activity? previous)
    {
        Activity = activity;
        _previous = previous;
        _started = started;
        _topic = topic;
        _group = group;
    }

    /// <summary>The <c>process</c> span, or <see langword="null"/> when nobody samples it; it is <see cref="System.Diagnostics.Activity.Current"/> until <see cref="End"/>.</summary>
    public Activity? Activity { get; }

    /// <summary>Ends the span (the span that was current before it is current again) and records the duration.</summary>
    /// <param name="error">Why the handling failed, or <see langword="null"/> when it succeeded; becomes <c>error.type</c>.</param>
    public void End(Exception? error = null)
    {
        if (_started != 0 && MessagingTelemetry.ProcessDuration.Enabled)
        {
            var tags = new TagList
            {
                ClientTelemetry.SystemTag,
                MessagingTelemetry.ProcessOperation,
                { KafkaTelemetry.DestinationTag, _topic },
            };
            if (_group is not null)
            {
                tags.Add(KafkaTelemetry.ConsumerGroupTag, _group);
            }
            if (error is not null)
            {
                tags.Add(KafkaTelemetry.ErrorTypeTag, MessagingTelemetry.ErrorType(error));
            }
            MessagingTelemetry.ProcessDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, in tags);
        }
        if (Activity is { } activity)
        {
            if (error is not null)
            {
                activity.SetTag(KafkaTelemetry.ErrorTypeTag, MessagingTelemetry.ErrorType(error));
                activity.SetStatus(ActivityStatusCode.Error, error.Message);
            }
            // Stop makes the span's parent current, which for a parent carried in the message is no span of this
            // process: give back what was current before the span started, or leave alone what is current now.
            var current = Activity.Current;
            activity.Stop();
            Activity.Current = ReferenceEquals(current, activity) ? _previous : current;
        }
    }
}
