using Kafka.Client;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>
/// One <c>AddShareConsumer</c> registration at run time: a share consumer (the client's public
/// <see cref="ShareConsumer"/>, explicit acknowledgements) whose records go to the handler side by side up to
/// <see cref="HostedConsumerOptions.MaxConcurrency"/>; each handler's outcome becomes the record's acknowledgement.
/// A failed session is replaced after <see cref="HostedConsumerOptions.RestartDelay"/> (what it had not acknowledged
/// goes back to the group when its share sessions close, or when their locks run out).
/// </summary>
internal sealed partial class ShareConsumerService(
    HostedConsumerRegistration registration, KafkaClientRuntime runtime, HostedShareConsumerOptions options, IShareHandlerInvoker invoker,
    TimeProvider time, ILogger logger)
    : RestartingConsumerService(registration, runtime, options, time, logger), IAsyncDisposable, IDisposable
{
    private readonly KafkaClientRuntime _runtime = runtime;
    private readonly HostedShareConsumerOptions _options = options;
    private readonly DeadLetterForwarder? _deadLetters = options.FailurePolicy == HandlerFailurePolicy.DeadLetter && options.DeadLetterTopic is { } topic
        ? new DeadLetterForwarder(runtime, topic, options.Group!, logger)
        : null;
    private long _accepted;
    private long _released;
    private long _rejected;
    private long _deadLettered;
    private volatile ShareConsumer? _consumer;

    /// <summary>Records accepted (handled), released (failed, to be delivered again), rejected and dead-lettered so far.</summary>
    public (long Accepted, long Released, long Rejected, long DeadLettered) Counts =>
        (Interlocked.Read(ref _accepted), Interlocked.Read(ref _released), Interlocked.Read(ref _rejected), Interlocked.Read(ref _deadLettered));

    /// <summary>The share consumer of the session running now, or <see langword="null"/>.</summary>
    public ShareConsumer? Consumer => _consumer;

    public void Dispose() => Abandon();

    public ValueTask DisposeAsync()
    {
        Abandon();
        return ValueTask.CompletedTask;
    }

    protected override async Task RunSessionAsync(CancellationToken stopping)
    {
        var shareOptions = CopyShareOptions();
        var consumer = _runtime.Client.GetShareConsumer(_options.Topics, _options.Group!, shareOptions);
        _consumer = consumer;
        using var slots = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        var running = new List<Task>();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                IReadOnlyList<ConsumedMessage> messages;
                try
                {
                    // Poll only with a handler slot free: records would otherwise wait here while their locks run.
                    await slots.WaitAsync(stopping).ConfigureAwait(false);
                    slots.Release();
                    messages = await consumer.PollAsync(stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    break;
                }
                foreach (var message in messages)
                {
                    // A free slot first, so that records wait here (locked to this member) rather than pile up in handlers.
                    await slots.WaitAsync(AbortHandling).ConfigureAwait(false);
                    running.RemoveAll(t => t.IsCompleted);
                    running.Add(HandleAsync(consumer, message, slots));
                }
                if (messages.Count == 0)
                {
                    running.RemoveAll(t => t.IsCompleted);
                }
            }
            // Stopping: the handlers running finish (until the host's shutdown timeout cancels them).
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        finally
        {
            _consumer = null;
            await consumer.DisposeAsync().ConfigureAwait(false);
        }
    }

    protected override async Task OnStoppingAsync(CancellationToken abortHandling)
    {
        if (_deadLetters is not null)
        {
            await _deadLetters.CloseAsync(TopicsText, abortHandling).ConfigureAwait(false);
        }
    }

    private ShareConsumerOptions CopyShareOptions()
    {
        var source = _options.Share;
        return new ShareConsumerOptions
        {
            AcknowledgementMode = ShareAcknowledgementMode.Explicit,
            MaxPollRecords = source.MaxPollRecords,
            FetchWaitMax = source.FetchWaitMax,
            FetchMinBytes = source.FetchMinBytes,
            FetchMaxBytes = source.FetchMaxBytes,
            RackId = source.RackId,
            RetryBackoff = source.RetryBackoff,
            CheckCrcs = source.CheckCrcs,
        };
    }

    private async Task HandleAsync(ShareConsumer consumer, ConsumedMessage message, SemaphoreSlim slots)
    {
        try
        {
            var outcome = await invoker.HandleAsync(message, AbortHandling).ConfigureAwait(false);
            var type = outcome.Failure is null ? ShareAcknowledgeType.Accept : await FailedAsync(message, outcome.Failure).ConfigureAwait(false);
            consumer.Acknowledge(message, type);
            switch (type)
            {
                case ShareAcknowledgeType.Accept:
                    Interlocked.Increment(ref _accepted);
                    break;
                case ShareAcknowledgeType.Release:
                    Interlocked.Increment(ref _released);
                    break;
                default:
                    Interlocked.Increment(ref _rejected);
                    break;
            }
        }
        catch (OperationCanceledException) when (AbortHandling.IsCancellationRequested)
        {
            // The host's shutdown timeout cancelled the handler: the record goes back to the group when the session closes.
            Log.HandlingAborted(Logger, message.Topic, message.PartitionId, message.Offset, Group);
        }
        catch (Exception ex)
        {
            // Not the handler's failure (the invoker reports those): the record's lock runs out and the group delivers it again.
            Log.AcknowledgeFailed(Logger, ex, message.Topic, message.PartitionId, message.Offset, Group);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>A failure after the pipeline's retries: another delivery, or at the limit a reject or the dead-letter topic.</summary>
    private async Task<ShareAcknowledgeType> FailedAsync(ConsumedMessage message, Exception failure)
    {
        var deliveries = message.DeliveryCount ?? 1;
        if (deliveries < _options.DeliveryAttemptLimit)
        {
            Log.Released(Logger, failure, message.Topic, message.PartitionId, message.Offset, Group, deliveries, _options.DeliveryAttemptLimit);
            return ShareAcknowledgeType.Release;
        }
        if (_deadLetters is not null)
        {
            if (await _deadLetters.ForwardAsync(message, failure, AbortHandling).ConfigureAwait(false))
            {
                Interlocked.Increment(ref _deadLettered);
                return ShareAcknowledgeType.Accept;
            }
            return ShareAcknowledgeType.Release;
        }
        Log.Rejected(Logger, failure, message.Topic, message.PartitionId, message.Offset, Group, deliveries);
        return ShareAcknowledgeType.Reject;
    }

    private static partial class Log
    {
        [LoggerMessage(440, LogLevel.Warning, "Share consumer: the handler failed for {Topic}/{Partition}@{Offset} (group {Group}, delivery {Delivery} of {Limit}); the record is released for another delivery")]
        public static partial void Released(ILogger logger, Exception error, string topic, int partition, long offset, string group, int delivery, int limit);

        [LoggerMessage(442, LogLevel.Error, "Share consumer: {Topic}/{Partition}@{Offset} (group {Group}) could not be acknowledged; it is delivered again when its lock runs out")]
        public static partial void AcknowledgeFailed(ILogger logger, Exception error, string topic, int partition, long offset, string group);

        [LoggerMessage(443, LogLevel.Information, "Share consumer: handling {Topic}/{Partition}@{Offset} (group {Group}) was cancelled by the shutdown; the record is not acknowledged and goes back to the group")]
        public static partial void HandlingAborted(ILogger logger, string topic, int partition, long offset, string group);

        [LoggerMessage(441, LogLevel.Error, "Share consumer: the handler failed for {Topic}/{Partition}@{Offset} (group {Group}) at delivery {Delivery}, the limit; the record is rejected and will not be delivered again")]
        public static partial void Rejected(ILogger logger, Exception error, string topic, int partition, long offset, string group, int delivery);
    }
}

/// <summary>Runs the registration's handler for one record through the handler pipeline (retries).</summary>
internal interface IShareHandlerInvoker
{
    ValueTask<HandlerOutcome> HandleAsync(ConsumedMessage message, CancellationToken cancellationToken);
}
