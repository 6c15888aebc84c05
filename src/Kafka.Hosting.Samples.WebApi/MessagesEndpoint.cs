using System.Text;
using Kafka.Client;
using Microsoft.AspNetCore.Http;

namespace Kafka.Hosting.Samples;

/// <summary>
/// <c>GET /topics/{topic}/messages?partition=&amp;offset=&amp;limit=</c>: reads up to <c>limit</c> messages of one
/// partition from <c>offset</c> (the earliest when absent) with a <see cref="SimpleConsumer"/> that stores no offsets.
/// </summary>
public static class MessagesEndpoint
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 1000;

    public static async Task<IResult> GetAsync(string topic, int partition, long? offset, int? limit, KafkaClient client, CancellationToken cancellationToken)
    {
        var count = Math.Clamp(limit ?? DefaultLimit, 1, MaxLimit);
        if (offset is < 0)
        {
            return Results.BadRequest(new { error = "offset must not be negative" });
        }
        Topic found;
        try
        {
            found = await client.Topics.GetAsync(topic, cancellationToken);
        }
        catch (Exception ex) when (ex is KafkaBrokerException or KeyNotFoundException)
        {
            return Results.NotFound(new { error = ex.Message });
        }
        if (!found.Partitions.TryGetValue(partition, out var p))
        {
            return Results.NotFound(new { error = $"Topic '{topic}' has no partition {partition}." });
        }

        var end = await p.LatestAvailableOffsetAsync(cancellationToken);
        var messages = new List<MessageView>(Math.Min(count, 100));
        if (offset is null || offset < end)
        {
            await using var consumer = found.GetSimpleConsumer(new SimpleConsumerOptions
            {
                Partitions = [partition],
                ConsumerTimeout = TimeSpan.FromSeconds(2),
                QueuedMaxMessages = count,
            });
            if (offset is { } start)
            {
                await consumer.ResetOffsetsAsync(new Dictionary<int, long> { [partition] = start }, cancellationToken);
            }
            while (messages.Count < count)
            {
                var message = await consumer.ConsumeAsync(cancellationToken);
                if (message is null)
                {
                    break;
                }
                messages.Add(MessageView.From(message));
                if (message.Offset >= end - 1)
                {
                    break; // the end of the partition when the request came in
                }
            }
        }
        return Results.Ok(new MessagesPage(topic, partition, messages, messages.Count > 0 ? messages[^1].Offset + 1 : offset ?? end));
    }
}

/// <summary>A page of messages and the offset to ask for next.</summary>
public sealed record MessagesPage(string Topic, int Partition, IReadOnlyList<MessageView> Messages, long NextOffset);

/// <summary>A message as JSON: key and value as UTF-8 text when they are, always as base64.</summary>
public sealed record MessageView(long Offset, DateTimeOffset? Timestamp, string? Key, string? Value, string? ValueBase64, IReadOnlyDictionary<string, string?> Headers)
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static MessageView From(ConsumedMessage message)
    {
        var headers = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var header in message.Headers)
        {
            headers[header.Key] = header.IsNull ? null : Text(header.Value.Span) ?? Convert.ToBase64String(header.Value.Span);
        }
        return new MessageView(
            message.Offset,
            message.Timestamp,
            message.IsPartitionKeyNull ? null : Text(message.PartitionKey.Span),
            message.IsValueNull ? null : Text(message.Value.Span),
            message.IsValueNull ? null : Convert.ToBase64String(message.Value.Span),
            headers);
    }

    private static string? Text(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
