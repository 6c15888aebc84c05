using System.Text;
using Kafka.Client;
using Microsoft.AspNetCore.Http;

namespace Kafka.Hosting.Samples;

/// <summary>
/// <c>GET /topics/{topic}/messages?partition=&amp;offset=&amp;limit=</c>: reads up to <c>limit</c> messages of one
/// partition from <c>offset</c> (the earliest when absent) with a <see cref="SimpleConsumer"/> that stores no offsets.
/// A GET never creates the topic it reads: an unknown topic is looked for in a metadata refresh (which creates nothing)
/// and answered 404. Bad requests are answered with problem details (RFC 9457).
/// </summary>
public static class MessagesEndpoint
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 1000;

    public static async Task<IResult> GetAsync(string topic, int? partition, long? offset, int? limit, KafkaClient client, CancellationToken cancellationToken)
    {
        if (partition is not { } partitionId)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["partition"] = ["The partition to read is required: ?partition=0."] });
        }
        if (offset is < 0)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["offset"] = ["The offset must not be negative."] });
        }
        var count = Math.Clamp(limit ?? DefaultLimit, 1, MaxLimit);
        // Topics.GetAsync would ask for the topic by name, which brokers with auto.create.topics.enable answer by
        // creating it; a full refresh only reports the topics that exist.
        if (!client.Topics.TryGetValue(topic, out var found))
        {
            try
            {
                await client.UpdateClusterAsync(cancellationToken);
            }
            catch (NoBrokersAvailableException ex)
            {
                return Results.Problem(ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            if (!client.Topics.TryGetValue(topic, out found))
            {
                return Results.Problem($"Topic '{topic}' does not exist.", statusCode: StatusCodes.Status404NotFound);
            }
        }
        if (!found.Partitions.TryGetValue(partitionId, out var p))
        {
            return Results.Problem($"Topic '{topic}' has no partition {partitionId}.", statusCode: StatusCodes.Status404NotFound);
        }

        var end = await p.LatestAvailableOffsetAsync(cancellationToken);
        var messages = new List<MessageView>(Math.Min(count, 100));
        if (offset is null || offset < end)
        {
            await using var consumer = found.GetSimpleConsumer(new SimpleConsumerOptions
            {
                Partitions = [partitionId],
                ConsumerTimeout = TimeSpan.FromSeconds(2),
                QueuedMaxMessages = count,
            });
            if (offset is { } start)
            {
                await consumer.ResetOffsetsAsync(new Dictionary<int, long> { [partitionId] = start }, cancellationToken);
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
        return Results.Ok(new MessagesPage(topic, partitionId, messages, messages.Count > 0 ? messages[^1].Offset + 1 : offset ?? end));
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
