using System.Globalization;
using System.Text;
using Kafka.Client;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Internal;

/// <summary>
/// Forwards messages whose handler keeps failing to a hosted consumer's dead-letter topic, through one producer of the
/// consumer's client created on first use (lanes share it), flushed and disposed when the consumer stops.
/// </summary>
internal sealed class DeadLetterForwarder(KafkaClientRuntime runtime, string topic, string group, ILogger logger)
{
    private const int MaxErrorLength = 1000;
    private readonly SemaphoreSlim _creating = new(1, 1);
    private Producer? _producer;

    /// <summary>Produces <paramref name="message"/> with its origin and <paramref name="failure"/> in headers and waits for the acknowledgement; false when that failed (logged).</summary>
    public async Task<bool> ForwardAsync(ConsumedMessage message, Exception failure, CancellationToken cancellationToken)
    {
        try
        {
            var producer = await GetProducerAsync(cancellationToken).ConfigureAwait(false);
            var report = await producer.ProduceAsync(
                message.IsValueNull ? null : (ReadOnlyMemory<byte>?)message.Value,
                message.IsPartitionKeyNull ? null : (ReadOnlyMemory<byte>?)message.PartitionKey,
                message.Timestamp,
                Headers(message, failure, group),
                cancellationToken).ConfigureAwait(false);
            HostedConsumerLog.MessageDeadLettered(logger, message.Topic, message.PartitionId, message.Offset, group, topic, report.Partition, report.Offset);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex)
        {
            HostedConsumerLog.DeadLetterFailed(logger, ex, message.Topic, message.PartitionId, message.Offset, group, topic);
            return false;
        }
    }

    /// <summary>Forwards every message of a batch (produced together, then each acknowledgement awaited); false when any failed.</summary>
    public async Task<bool> ForwardAsync(MessageBatch batch, Exception failure, CancellationToken cancellationToken)
    {
        var messages = new ConsumedMessage[batch.Count];
        for (var i = 0; i < messages.Length; i++)
        {
            messages[i] = batch[i].ToConsumedMessage();
        }
        var forwards = messages.Select(m => ForwardAsync(m, failure, cancellationToken)).ToArray();
        var results = await Task.WhenAll(forwards).ConfigureAwait(false);
        return results.All(r => r);
    }

    private async ValueTask<Producer> GetProducerAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _producer) is { } existing)
        {
            return existing;
        }
        await _creating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_producer is null)
            {
                var deadLetterTopic = await runtime.Client.Topics.GetAsync(topic, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _producer, deadLetterTopic.GetProducer(new ProducerOptions { RequiredAcks = RequiredAcks.All }));
            }
            return _producer!;
        }
        finally
        {
            _creating.Release();
        }
    }

    /// <summary>Flushes and disposes the producer, if one was created; <paramref name="cancellationToken"/> ends the flush.</summary>
    public async Task CloseAsync(string topics, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _producer, null) is not { } producer)
        {
            return;
        }
        try
        {
            await producer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout ran out: disposing still gives queued messages PendingTimeout.
        }
        try
        {
            await producer.DisposeAsync().ConfigureAwait(false);
        }
        catch (KafkaException ex)
        {
            HostedConsumerLog.DeadLetterCloseFailed(logger, ex, topics, group);
        }
    }

    /// <summary>The failed message's own headers, then where it came from and why it failed (no payload, no secrets: the exception's type and message).</summary>
    private static KafkaHeader[] Headers(ConsumedMessage message, Exception failure, string group)
    {
        var original = message.Headers;
        var headers = new KafkaHeader[original.Count + 5];
        for (var i = 0; i < original.Count; i++)
        {
            headers[i] = original[i];
        }
        var error = $"{failure.GetType().FullName}: {failure.Message}";
        if (error.Length > MaxErrorLength)
        {
            error = error[..MaxErrorLength];
        }
        var n = original.Count;
        headers[n] = Header(DeadLetterHeaderNames.Topic, message.Topic);
        headers[n + 1] = Header(DeadLetterHeaderNames.Partition, message.PartitionId.ToString(CultureInfo.InvariantCulture));
        headers[n + 2] = Header(DeadLetterHeaderNames.Offset, message.Offset.ToString(CultureInfo.InvariantCulture));
        headers[n + 3] = Header(DeadLetterHeaderNames.Group, group);
        headers[n + 4] = Header(DeadLetterHeaderNames.Error, error);
        return headers;

        static KafkaHeader Header(string key, string value) => new(key, Encoding.UTF8.GetBytes(value));
    }
}
