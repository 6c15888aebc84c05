using System.Diagnostics;
using Kafka.Client.Internal;

namespace Kafka.Client;

public static partial class KafkaTelemetry
{
    /// <summary>
    /// Starts the <c>process</c> span (kind Consumer) of handling one consumed message: its parent is the context the
    /// producer carried in the message's headers (<c>traceparent</c>, read through
    /// <see cref="DistributedContextPropagator.Current"/>), or the current span when the message carries none; the
    /// message's baggage becomes the span's. Hosted consumers do this around every handler call; call it yourself
    /// around your own handling of messages from <see cref="SimpleConsumer"/> or <see cref="BalancedConsumer"/>.
    /// </summary>
    /// <param name="message">The message being handled.</param>
    /// <param name="consumerGroup">The consumer group, for <c>messaging.consumer.group.name</c>; null for none.</param>
    /// <returns>A scope to <see cref="KafkaProcessScope.End"/> when the handling ends; a no-op when nobody listens.</returns>
    public static KafkaProcessScope StartProcess(ConsumedMessage message, string? consumerGroup = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!IsProcessObserved)
        {
            return default;
        }
        Activity? activity = null;
        var previous = Activity.Current;
        if (ClientTelemetry.Source.HasListeners())
        {
            var parent = message.ExtractTraceContext(out var baggage);
            activity = StartProcessActivity(message.Topic, parent, baggage, links: null);
            if (activity is { IsAllDataRequested: true })
            {
                SetMessageTags(activity, message.Topic, message.PartitionId, message.Offset, consumerGroup);
                if (message.IsAvailable)
                {
                    MessagingTelemetry.SetKey(activity, message.PartitionKey.Span, !message.IsPartitionKeyNull);
                }
            }
        }
        return new KafkaProcessScope(activity, Stopwatch.GetTimestamp(), message.Topic, consumerGroup, previous);
    }

    /// <summary>
    /// Starts the <c>process</c> span of handling one message of a <see cref="MessageBatch"/> (see
    /// <see cref="StartProcess(ConsumedMessage, string?)"/>), without copying it.
    /// </summary>
    /// <param name="message">The message being handled.</param>
    /// <param name="consumerGroup">The consumer group; null for none.</param>
    /// <returns>A scope to end when the handling ends.</returns>
    public static KafkaProcessScope StartProcess(in MessageView message, string? consumerGroup = null)
    {
        if (!IsProcessObserved)
        {
            return default;
        }
        Activity? activity = null;
        var previous = Activity.Current;
        if (ClientTelemetry.Source.HasListeners())
        {
            var record = message.Record;
            var parent = TraceContextPropagation.Extract(record.Headers, out var baggage);
            activity = StartProcessActivity(message.Topic, parent, baggage, links: null);
            if (activity is { IsAllDataRequested: true })
            {
                SetMessageTags(activity, message.Topic, message.PartitionId, message.Offset, consumerGroup);
                MessagingTelemetry.SetKey(activity, record.Key.Span, !record.IsKeyNull);
            }
        }
        return new KafkaProcessScope(activity, Stopwatch.GetTimestamp(), message.Topic, consumerGroup, previous);
    }

    /// <summary>
    /// Starts the <c>process</c> span of handling a batch: a child of the current span, with a link to the context
    /// each message carries and <c>messaging.batch.message_count</c>. The batch's first message names the topic.
    /// </summary>
    /// <param name="batch">The batch being handled.</param>
    /// <param name="consumerGroup">The consumer group; null for none.</param>
    /// <returns>A scope to end when the handling ends; a no-op for an empty batch or when nobody listens.</returns>
    public static KafkaProcessScope StartProcess(MessageBatch batch, string? consumerGroup = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0 || !IsProcessObserved)
        {
            return default;
        }
        var first = batch[0];
        Activity? activity = null;
        var previous = Activity.Current;
        if (ClientTelemetry.Source.HasListeners())
        {
            List<ActivityLink>? links = null;
            var partition = first.PartitionId;
            var samePartition = true;
            foreach (var message in batch)
            {
                samePartition &= message.PartitionId == partition;
                var headers = message.Record.Headers;
                if (headers.Count > 0 && TraceContextPropagation.Extract(headers, out _) is { TraceId: var traceId } context && traceId != default)
                {
                    (links ??= []).Add(new ActivityLink(context));
                }
            }
            activity = StartProcessActivity(first.Topic, default, null, links);
            if (activity is { IsAllDataRequested: true })
            {
                activity.SetTag(SystemTag, "kafka");
                activity.SetTag(OperationNameTag, "process");
                activity.SetTag(OperationTypeTag, "process");
                activity.SetTag(DestinationTag, first.Topic);
                if (samePartition)
                {
                    activity.SetTag(PartitionTag, MessagingTelemetry.PartitionId(partition));
                }
                activity.SetTag(BatchMessageCountTag, batch.Count);
                if (consumerGroup is not null)
                {
                    activity.SetTag(ConsumerGroupTag, consumerGroup);
                }
            }
        }
        return new KafkaProcessScope(activity, Stopwatch.GetTimestamp(), first.Topic, consumerGroup, previous);
    }

    private static bool IsProcessObserved => ClientTelemetry.Source.HasListeners() || MessagingTelemetry.ProcessDuration.Enabled;

    private static Activity? StartProcessActivity(string topic, ActivityContext parent, IEnumerable<KeyValuePair<string, string?>>? baggage, List<ActivityLink>? links)
    {
        var activity = parent.TraceId != default
            ? ClientTelemetry.Source.StartActivity(MessagingTelemetry.ProcessSpanName(topic), ActivityKind.Consumer, parent, links: links)
            : ClientTelemetry.Source.StartActivity(MessagingTelemetry.ProcessSpanName(topic), ActivityKind.Consumer, parentContext: default, links: links);
        if (activity is not null && baggage is not null)
        {
            foreach (var (key, value) in baggage)
            {
                activity.AddBaggage(key, value);
            }
        }
        return activity;
    }

    private static void SetMessageTags(Activity activity, string topic, int partition, long offset, string? consumerGroup)
    {
        activity.SetTag(SystemTag, "kafka");
        activity.SetTag(OperationNameTag, "process");
        activity.SetTag(OperationTypeTag, "process");
        activity.SetTag(DestinationTag, topic);
        activity.SetTag(PartitionTag, MessagingTelemetry.PartitionId(partition));
        activity.SetTag(OffsetTag, offset);
        if (consumerGroup is not null)
        {
            activity.SetTag(ConsumerGroupTag, consumerGroup);
        }
    }
}
