using System.Text;
using Kafka.Client;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kafka.Hosting.Samples;

/// <summary>
/// <c>POST /topics/{topic}/messages</c> with a JSON body <c>{ "key": "...", "value": "...", "headers": { "name": "value" } }</c>
/// (or <c>valueBase64</c> for binary values; a null value is a tombstone): produces one message with the producer the
/// sample registered for that topic (<c>AddProducer</c>, from <c>Sample:ProducerTopics</c>) and answers where it was
/// written. Only registered topics are accepted, so that callers cannot create topics at will.
/// </summary>
public static class ProduceEndpoint
{
    public static async Task<IResult> PostAsync(string topic, MessageToProduce message, IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        Producer? producer;
        try
        {
            producer = services.GetKeyedService<Producer>(topic);
        }
        catch (InvalidOperationException ex)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        if (producer is null)
        {
            return Results.NotFound(new { error = $"No producer is registered for topic '{topic}'; add it to Sample:ProducerTopics." });
        }

        byte[]? value;
        try
        {
            value = message.ValueBase64 is { } base64 ? Convert.FromBase64String(base64) : message.Value is { } text ? Encoding.UTF8.GetBytes(text) : null;
        }
        catch (FormatException)
        {
            return Results.BadRequest(new { error = "valueBase64 is not valid base64" });
        }
        var key = message.Key is null ? null : Encoding.UTF8.GetBytes(message.Key);
        var headers = (message.Headers ?? new Dictionary<string, string?>()).Select(h => h.Value is null
            ? KafkaHeader.WithNullValue(h.Key)
            : new KafkaHeader(h.Key, Encoding.UTF8.GetBytes(h.Value))).ToArray();

        try
        {
            var report = await producer.ProduceAsync(value, key, timestamp: null, headers, cancellationToken);
            return Results.Ok(new ProducedView(report.Topic, report.Partition, report.Offset, report.Timestamp));
        }
        catch (MessageTooLargeException ex)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        catch (ProduceFailureException ex)
        {
            return Results.Problem(ex.Message, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }
}

/// <summary>A message to produce: key and value as UTF-8 text (or the value as base64), headers as text; nulls allowed.</summary>
public sealed record MessageToProduce(string? Key, string? Value, string? ValueBase64, IReadOnlyDictionary<string, string?>? Headers);

/// <summary>Where a produced message was written.</summary>
public sealed record ProducedView(string Topic, int Partition, long Offset, DateTimeOffset Timestamp);
