using System.Text;
using Kafka.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Samples;

/// <summary>
/// On the embedded cluster only: produces a few orders to "orders" once the host has started, so that one command
/// shows the whole path — produced here, received by the worker's consumer group member, logged by
/// <see cref="OrderLogger"/>. Against a configured cluster the worker produces nothing.
/// </summary>
public sealed partial class SampleOrders(IServiceProvider services, ILogger<SampleOrders> logger) : BackgroundService
{
    /// <summary>The service key of the producer this service uses.</summary>
    public const string ProducerName = "sample-orders";

    /// <summary>How many orders it produces.</summary>
    public const int Count = 5;

    private static readonly string[] Items = ["pencils", "paper", "ink", "stapler", "folders"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Resolved now, not in the constructor: a registered producer exists once the client's services have started,
        // which they have by the time this service starts (hosted services start in registration order).
        Producer producer;
        try
        {
            producer = services.GetRequiredKeyedService<Producer>(ProducerName);
        }
        catch (InvalidOperationException ex)
        {
            LogFailed(logger, "(none)", ex.Message);
            return;
        }
        for (var i = 1; i <= Count && !stoppingToken.IsCancellationRequested; i++)
        {
            var key = $"o-{i}";
            var value = $"{{\"id\":{i},\"item\":\"{Items[(i - 1) % Items.Length]}\",\"quantity\":{i}}}";
            try
            {
                var report = await producer.ProduceAsync(Encoding.UTF8.GetBytes(value), Encoding.UTF8.GetBytes(key), cancellationToken: stoppingToken);
                LogProduced(logger, key, report.Topic, report.Partition, report.Offset);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (KafkaException ex)
            {
                LogFailed(logger, key, ex.Message);
            }
        }
    }

    [LoggerMessage(40, LogLevel.Information, "Produced order {Key} to {Topic}/{Partition}@{Offset}")]
    private static partial void LogProduced(ILogger logger, string key, string topic, int partition, long offset);

    [LoggerMessage(41, LogLevel.Warning, "Producing order {Key} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string key, string reason);
}
