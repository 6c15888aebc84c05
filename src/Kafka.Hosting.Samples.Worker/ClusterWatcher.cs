using Kafka.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Samples;

/// <summary>Logs the cluster after the first refresh, then every change a background refresh finds.</summary>
public sealed partial class ClusterWatcher(KafkaClient client, KafkaClusterStatus status, ILogger<ClusterWatcher> logger) : BackgroundService
{
    private sealed record View(Dictionary<int, string> Brokers, Dictionary<string, Dictionary<int, int>> Leaders);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        View? last = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Wait first, then look: a first refresh that ends between a look and a later wait would otherwise be
            // missed until the next periodic one.
            var next = status.WaitForNextRefreshAsync(stoppingToken);
            if (status.LastSuccessfulRefresh is null || last is not null)
            {
                try
                {
                    await next;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            if (status.LastError is { } error)
            {
                LogRefreshFailed(logger, error.Message);
                continue;
            }
            var current = Capture(client);
            if (last is null)
            {
                LogCluster(logger, client.Cluster.ClusterId ?? "?", current.Brokers.Count, string.Join(", ", current.Brokers.Select(b => $"{b.Key}@{b.Value}")),
                    string.Join(", ", current.Leaders.Select(t => $"{t.Key}[{t.Value.Count}]")));
            }
            else
            {
                Compare(last, current);
            }
            last = current;
        }
    }

    private static View Capture(KafkaClient client) => new(
        client.Brokers.ToDictionary(b => b.Key, b => $"{b.Value.Host}:{b.Value.Port}"),
        client.Topics.ToDictionary(t => t.Key, t => t.Value.Partitions.ToDictionary(p => p.Key, p => p.Value.Leader?.Id ?? -1)));

    private void Compare(View before, View after)
    {
        foreach (var (id, address) in after.Brokers.Where(b => !before.Brokers.ContainsKey(b.Key)))
        {
            LogBrokerAdded(logger, id, address);
        }
        foreach (var (id, address) in before.Brokers.Where(b => !after.Brokers.ContainsKey(b.Key)))
        {
            LogBrokerGone(logger, id, address);
        }
        foreach (var (topic, partitions) in after.Leaders)
        {
            if (!before.Leaders.TryGetValue(topic, out var old))
            {
                LogTopicCreated(logger, topic, partitions.Count);
                continue;
            }
            foreach (var (partition, leader) in partitions)
            {
                if (old.TryGetValue(partition, out var oldLeader) && oldLeader != leader)
                {
                    LogLeaderMoved(logger, topic, partition, oldLeader, leader);
                }
            }
        }
        foreach (var topic in before.Leaders.Keys.Where(t => !after.Leaders.ContainsKey(t)))
        {
            LogTopicDeleted(logger, topic);
        }
    }

    [LoggerMessage(10, LogLevel.Information, "Cluster {ClusterId}: {BrokerCount} brokers ({Brokers}); topics {Topics}")]
    private static partial void LogCluster(ILogger logger, string clusterId, int brokerCount, string brokers, string topics);

    [LoggerMessage(11, LogLevel.Information, "Broker {BrokerId} added at {Address}")]
    private static partial void LogBrokerAdded(ILogger logger, int brokerId, string address);

    [LoggerMessage(12, LogLevel.Information, "Broker {BrokerId} at {Address} is gone")]
    private static partial void LogBrokerGone(ILogger logger, int brokerId, string address);

    [LoggerMessage(13, LogLevel.Information, "Leader of {Topic}/{Partition} moved from broker {OldLeader} to broker {NewLeader}")]
    private static partial void LogLeaderMoved(ILogger logger, string topic, int partition, int oldLeader, int newLeader);

    [LoggerMessage(14, LogLevel.Information, "Topic {Topic} created with {PartitionCount} partitions")]
    private static partial void LogTopicCreated(ILogger logger, string topic, int partitionCount);

    [LoggerMessage(15, LogLevel.Information, "Topic {Topic} deleted")]
    private static partial void LogTopicDeleted(ILogger logger, string topic);

    [LoggerMessage(16, LogLevel.Information, "Metadata refresh failed: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
