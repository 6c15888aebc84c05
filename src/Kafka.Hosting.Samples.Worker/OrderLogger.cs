using System.Text;
using Kafka.Client;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Samples;

/// <summary>
/// The worker's message handler: logs each message of the "orders" topic that the worker's consumer group member
/// receives (on the embedded cluster, the orders <see cref="SampleOrders"/> produces; on yours, whatever is produced
/// to "orders", by the WebApi sample's POST for one).
/// </summary>
public sealed partial class OrderLogger(ILogger<OrderLogger> logger) : IKafkaMessageHandler
{
    private const int MaxValueChars = 200;

    /// <inheritdoc/>
    public Task HandleAsync(ConsumedMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var key = message.IsPartitionKeyNull ? "(null)" : Encoding.UTF8.GetString(message.PartitionKey.Span);
        var value = message.IsValueNull ? "(null)" : Encoding.UTF8.GetString(message.Value.Span);
        if (value.Length > MaxValueChars)
        {
            value = value[..MaxValueChars] + "…";
        }
        LogReceived(logger, message.Topic, message.PartitionId, message.Offset, key, value);
        return Task.CompletedTask;
    }

    [LoggerMessage(30, LogLevel.Information, "Received {Topic}/{Partition}@{Offset}: key {Key}, value {Value}")]
    private static partial void LogReceived(ILogger logger, string topic, int partition, long offset, string key, string value);
}
