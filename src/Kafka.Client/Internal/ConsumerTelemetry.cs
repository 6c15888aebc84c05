using System.Collections.Concurrent;
using System.Diagnostics;

namespace Kafka.Client.Internal;

/// <summary>
/// The consumer's spans besides <c>process</c>: <c>receive {topic}</c> (kind Client) for each consume call that returns
/// messages, <c>commit {topic}</c> (kind Client, the conventions' settle operation) for each offset commit, and the
/// client's own internal spans around a group member's rebalance callbacks. Callers check
/// <see cref="ActivitySource.HasListeners"/> first: with nobody listening, nothing here runs.
/// </summary>
internal static class ConsumerTelemetry
{
    private static readonly ConcurrentDictionary<string, string> ReceiveNames = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string> CommitNames = new(StringComparer.Ordinal);

    public static bool IsTraced => ClientTelemetry.Source.HasListeners();

    /// <summary>
    /// A consume call that began at <paramref name="started"/> returned <paramref name="message"/> (or failed with
    /// <paramref name="error"/>): its <c>receive</c> span, made now with the call's start time, a child of the current
    /// span and linked to the context the message carries. Nothing when it returned nothing.
    /// </summary>
    public static void Received(DateTimeOffset started, ConsumedMessage? message, string? group, string clientId, Exception? error)
    {
        if (message is null && error is null)
        {
            return;
        }
        List<ActivityLink>? links = null;
        if (message is not null && message.ExtractTraceContext(out _) is { } context && context.TraceId != default)
        {
            links = [new ActivityLink(context)];
        }
        var topic = message?.Topic ?? (error as KafkaConsumeException)?.Topic;
        if (StartReceive(started, topic, links, group, clientId) is not { } activity)
        {
            return;
        }
        if (activity.IsAllDataRequested)
        {
            if (message is not null)
            {
                activity.SetTag(KafkaTelemetry.PartitionTag, MessagingTelemetry.PartitionId(message.PartitionId));
                activity.SetTag(KafkaTelemetry.OffsetTag, message.Offset);
                if (message.IsAvailable)
                {
                    MessagingTelemetry.SetKey(activity, message.PartitionKey.Span, !message.IsPartitionKeyNull);
                }
            }
        }
        End(activity, error);
    }

    /// <summary>A batch consume call's <c>receive</c> span, linked to each message's carried context; nothing for an empty batch.</summary>
    public static void Received(DateTimeOffset started, MessageBatch? batch, string? group, string clientId, Exception? error)
    {
        if ((batch is null || batch.Count == 0) && error is null)
        {
            return;
        }
        List<ActivityLink>? links = null;
        string? topic = null;
        var partition = -1;
        var oneTopic = true;
        var onePartition = true;
        if (batch is not null)
        {
            foreach (var message in batch)
            {
                oneTopic &= topic is null || string.Equals(topic, message.Topic, StringComparison.Ordinal);
                onePartition &= partition < 0 || partition == message.PartitionId;
                topic ??= message.Topic;
                partition = partition < 0 ? message.PartitionId : partition;
                var headers = message.Record.Headers;
                if (headers.Count > 0 && TraceContextPropagation.Extract(headers, out _) is { TraceId: var traceId } context && traceId != default)
                {
                    (links ??= []).Add(new ActivityLink(context));
                }
            }
        }
        topic = oneTopic ? topic ?? (error as KafkaConsumeException)?.Topic : null;
        if (StartReceive(started, topic, links, group, clientId) is not { } activity)
        {
            return;
        }
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(KafkaTelemetry.BatchMessageCountTag, batch?.Count ?? 0);
            if (oneTopic && onePartition && partition >= 0)
            {
                activity.SetTag(KafkaTelemetry.PartitionTag, MessagingTelemetry.PartitionId(partition));
            }
        }
        End(activity, error);
    }

    /// <summary>
    /// Starts the <c>commit {topic}</c> span of committing one topic's offsets (kind Client, operation type
    /// <c>settle</c>), a child of the current span (a <c>process</c> span, say); the OffsetCommit request is its child.
    /// </summary>
    public static Activity? StartCommit(string topic, IReadOnlyDictionary<int, long> offsets, string group, string clientId)
    {
        var activity = ClientTelemetry.Source.StartActivity(CommitNames.GetOrAdd(topic, static t => "commit " + t), ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(KafkaTelemetry.SystemTag, "kafka");
            activity.SetTag(KafkaTelemetry.OperationNameTag, "commit");
            activity.SetTag(KafkaTelemetry.OperationTypeTag, "settle");
            activity.SetTag(KafkaTelemetry.DestinationTag, topic);
            activity.SetTag(KafkaTelemetry.ConsumerGroupTag, group);
            activity.SetTag(KafkaTelemetry.ClientIdTag, clientId);
            if (offsets.Count == 1)
            {
                foreach (var (partition, offset) in offsets)
                {
                    activity.SetTag(KafkaTelemetry.PartitionTag, MessagingTelemetry.PartitionId(partition));
                    activity.SetTag(KafkaTelemetry.OffsetTag, offset);
                }
            }
        }
        return activity;
    }

    /// <summary>
    /// Starts one of a group member's rebalance spans (kind Internal): <see cref="KafkaTelemetry.PartitionsAssignedSpan"/>,
    /// <see cref="KafkaTelemetry.PartitionsRevokedSpan"/> or <see cref="KafkaTelemetry.PartitionsLostSpan"/>. The
    /// offset lookups, the callbacks and the commit of a revoke are its children.
    /// </summary>
    public static Activity? StartRebalance(string name, string group, string clientId, int generation, int partitions)
    {
        var activity = ClientTelemetry.Source.StartActivity(name, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(KafkaTelemetry.SystemTag, "kafka");
            activity.SetTag(KafkaTelemetry.ConsumerGroupTag, group);
            activity.SetTag(KafkaTelemetry.ClientIdTag, clientId);
            activity.SetTag(KafkaTelemetry.GenerationTag, generation);
            activity.SetTag(KafkaTelemetry.PartitionCountTag, partitions);
        }
        return activity;
    }

    /// <summary>Ends a span started in the caller's flow (its parent becomes current again), with <c>error.type</c> on failure.</summary>
    public static void End(Activity activity, Exception? error)
    {
        if (error is not null)
        {
            activity.SetTag(KafkaTelemetry.ErrorTypeTag, MessagingTelemetry.ErrorType(error));
            activity.SetStatus(ActivityStatusCode.Error, error.Message);
        }
        activity.Stop();
    }

    /// <summary>The <c>receive</c> span of a call that began at <paramref name="started"/>, with the attributes every receive has.</summary>
    private static Activity? StartReceive(DateTimeOffset started, string? topic, List<ActivityLink>? links, string? group, string clientId)
    {
        var activity = ClientTelemetry.Source.StartActivity(topic is null ? "receive" : ReceiveNames.GetOrAdd(topic, static t => "receive " + t),
            ActivityKind.Client, parentContext: default, links: links, startTime: started);
        if (activity is { IsAllDataRequested: true })
        {
            SetReceiveTags(activity, topic, group, clientId);
        }
        return activity;
    }

    private static void SetReceiveTags(Activity activity, string? topic, string? group, string clientId)
    {
        activity.SetTag(KafkaTelemetry.SystemTag, "kafka");
        activity.SetTag(KafkaTelemetry.OperationNameTag, "receive");
        activity.SetTag(KafkaTelemetry.OperationTypeTag, "receive");
        if (topic is not null)
        {
            activity.SetTag(KafkaTelemetry.DestinationTag, topic);
        }
        if (group is not null)
        {
            activity.SetTag(KafkaTelemetry.ConsumerGroupTag, group);
        }
        activity.SetTag(KafkaTelemetry.ClientIdTag, clientId);
    }
}
