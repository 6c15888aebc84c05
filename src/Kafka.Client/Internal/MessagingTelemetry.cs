using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text;
using Kafka.Client.Internal.Consuming;
using Kafka.Client.Internal.Producing;

namespace Kafka.Client.Internal;

/// <summary>
/// The messaging side of the client's telemetry (OpenTelemetry messaging semantic conventions v1.45.0): the
/// <c>send</c> and <c>process</c> spans, and the messages, bytes, durations, queue depth and lag instruments, all on
/// <see cref="ClientTelemetry.Source"/> and <see cref="ClientTelemetry.Meter"/>. Every caller checks
/// <see cref="ActivitySource.HasListeners"/> or <see cref="Instrument.Enabled"/> first, so that with nobody listening the
/// produce and consume paths do no work here.
/// </summary>
internal static class MessagingTelemetry
{
    private static readonly string[] PartitionIds = [.. Enumerable.Range(0, 256).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    // Weak: telemetry must not keep a producer or consumer alive.
    private static readonly ConditionalWeakTable<ProducerEngine, object?> LiveProducers = new();
    private static readonly ConditionalWeakTable<FetchEngine, object?> LiveConsumers = new();

    public static readonly KeyValuePair<string, object?> SendOperation = new(KafkaTelemetry.OperationNameTag, "send");
    public static readonly KeyValuePair<string, object?> ProcessOperation = new(KafkaTelemetry.OperationNameTag, "process");
    public static readonly KeyValuePair<string, object?> ReceiveOperation = new(KafkaTelemetry.OperationNameTag, "receive");
    public static readonly KeyValuePair<string, object?> CommitOperation = new(KafkaTelemetry.OperationNameTag, "commit");

    public static readonly Counter<long> SentMessages = ClientTelemetry.Meter.CreateCounter<long>(
        KafkaTelemetry.SentMessages, "{message}", "Messages the producer attempted to send to the broker (error.type set on those that failed).");

    public static readonly Counter<long> SentBytes = ClientTelemetry.Meter.CreateCounter<long>(
        KafkaTelemetry.SentBytes, "By", "Bytes of record batches the producer finished sending (as encoded, after compression).");

    public static readonly Histogram<double> OperationDuration = ClientTelemetry.Meter.CreateHistogram(
        KafkaTelemetry.OperationDuration, "s", "Send: from a batch's first message to its delivery report. Commit: an offset commit round trip.",
        advice: ClientTelemetry.DurationAdvice());

    public static readonly Histogram<int> BatchSize = ClientTelemetry.Meter.CreateHistogram<int>(
        KafkaTelemetry.ProducerBatchSize, "{message}", "Messages per record batch the producer finished.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] });

    public static readonly Histogram<double> ProcessDuration = ClientTelemetry.Meter.CreateHistogram(
        KafkaTelemetry.ProcessDuration, "s", "How long the handling of a message or batch took.", advice: ClientTelemetry.DurationAdvice());

    public static readonly Counter<long> ConsumedMessages = ClientTelemetry.Meter.CreateCounter<long>(
        KafkaTelemetry.ConsumedMessages, "{message}", "Messages delivered to the application by consumers.");

    public static readonly Counter<long> ConsumedBytes = ClientTelemetry.Meter.CreateCounter<long>(
        KafkaTelemetry.ConsumedBytes, "By", "Bytes of record batches fetched for consumers, as the broker sent them.");

    public static readonly Counter<long> Rebalances = ClientTelemetry.Meter.CreateCounter<long>(
        KafkaTelemetry.Rebalances, "{rebalance}", "Consumer group rebalances a member went through (a new assignment received).");

    private static readonly ObservableUpDownCounter<int> QueuedMessages = ClientTelemetry.Meter.CreateObservableUpDownCounter(
        KafkaTelemetry.ProducerQueuedMessages, ObserveQueues, "{message}", "Messages accepted by each live producer and not yet finished.");

    private static readonly ObservableGauge<long> Lag = ClientTelemetry.Meter.CreateObservableGauge(
        KafkaTelemetry.ConsumerLag, ObserveLag, "{message}", "Per assigned partition: the high watermark of the latest fetch minus the consumer's position.");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> ProcessSpanNames = new(StringComparer.Ordinal);

    /// <summary><c>process {topic}</c>, built once per topic.</summary>
    public static string ProcessSpanName(string topic) => ProcessSpanNames.GetOrAdd(topic, static t => "process " + t);

    /// <summary>The partition id as the <c>messaging.destination.partition.id</c> attribute wants it (a string), cached for small ids.</summary>
    public static string PartitionId(int id) =>
        (uint)id < (uint)PartitionIds.Length ? PartitionIds[id] : id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static void Track(ProducerEngine producer) => LiveProducers.AddOrUpdate(producer, null);

    public static void Forget(ProducerEngine producer) => LiveProducers.Remove(producer);

    public static void Track(FetchEngine consumer) => LiveConsumers.AddOrUpdate(consumer, null);

    public static void Forget(FetchEngine consumer) => LiveConsumers.Remove(consumer);

    /// <summary>
    /// Starts a message's <c>send</c> span (kind Producer) when someone samples it. <see cref="Activity.Current"/> is
    /// left as it was: the span ends later, at the message's delivery report, on another thread.
    /// </summary>
    public static Activity? StartSend(Topic topic, string clientId, ReadOnlySpan<byte> key, bool hasKey, bool hasValue)
    {
        var previous = Activity.Current;
        var activity = ClientTelemetry.Source.StartActivity(topic.SendSpanName, ActivityKind.Producer);
        if (activity is null)
        {
            return null;
        }
        Activity.Current = previous;
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(KafkaTelemetry.SystemTag, "kafka");
            activity.SetTag(KafkaTelemetry.OperationNameTag, "send");
            activity.SetTag(KafkaTelemetry.OperationTypeTag, "send");
            activity.SetTag(KafkaTelemetry.DestinationTag, topic.Name);
            activity.SetTag(KafkaTelemetry.ClientIdTag, clientId);
            SetKey(activity, key, hasKey);
            if (!hasValue)
            {
                activity.SetTag(KafkaTelemetry.TombstoneTag, true);
            }
        }
        return activity;
    }

    /// <summary>A traced message was delivered (or failed): its offset or error, and the end of its <c>send</c> span.</summary>
    public static void EndSend(Activity activity, int partition, long offset, KafkaException? error)
    {
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(KafkaTelemetry.PartitionTag, PartitionId(partition));
            if (offset >= 0)
            {
                activity.SetTag(KafkaTelemetry.OffsetTag, offset);
            }
        }
        Stop(activity, error);
    }

    /// <summary>Stops a span from any thread without touching that thread's <see cref="Activity.Current"/>.</summary>
    public static void Stop(Activity activity, Exception? error)
    {
        if (error is not null)
        {
            activity.SetTag(KafkaTelemetry.ErrorTypeTag, ErrorType(error));
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        }
        var current = Activity.Current;
        activity.Stop();
        if (!ReferenceEquals(Activity.Current, current))
        {
            Activity.Current = current;
        }
    }

    /// <summary>The <c>error.type</c> of a failure: the Kafka error code's name when the broker gave one, the exception type otherwise.</summary>
    public static string ErrorType(Exception error) => error switch
    {
        ProduceFailureException { ErrorCode: not KafkaErrorCode.None } failure => KafkaErrors.GetName(failure.ErrorCode),
        KafkaBrokerException { ErrorCode: not KafkaErrorCode.None } broker => KafkaErrors.GetName(broker.ErrorCode),
        _ => error.GetType().FullName ?? error.GetType().Name,
    };

    /// <summary>The key as text when it is valid UTF-8 (the conventions want no attribute for a key that has no canonical text form).</summary>
    public static void SetKey(Activity activity, ReadOnlySpan<byte> key, bool hasKey)
    {
        if (hasKey && key.Length <= 256 && System.Text.Unicode.Utf8.IsValid(key))
        {
            activity.SetTag(KafkaTelemetry.MessageKeyTag, Encoding.UTF8.GetString(key));
        }
    }

    private static List<Measurement<int>> ObserveQueues()
    {
        var result = new List<Measurement<int>>();
        foreach (var (producer, _) in (IEnumerable<KeyValuePair<ProducerEngine, object?>>)LiveProducers)
        {
            result.Add(new Measurement<int>(producer.Gate.Count, ClientTelemetry.SystemTag, producer.ClientTag,
                new KeyValuePair<string, object?>(KafkaTelemetry.DestinationTag, producer.TopicName)));
        }
        return result;
    }

    private static List<Measurement<long>> ObserveLag()
    {
        var result = new List<Measurement<long>>();
        foreach (var (consumer, _) in (IEnumerable<KeyValuePair<FetchEngine, object?>>)LiveConsumers)
        {
            consumer.ObserveLag(result);
        }
        return result;
    }
}
