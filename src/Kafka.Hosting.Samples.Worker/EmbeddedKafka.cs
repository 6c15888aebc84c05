using Kafka.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Samples;

/// <summary>
/// Lets the samples run on a machine without Kafka: when no <c>Kafka:Hosts</c> is configured, an in-process
/// MockKafkaCluster (3 brokers, a few topics) is started and the client pointed at it.
/// </summary>
internal static partial class EmbeddedKafka
{
    public static readonly string[] Topics = ["orders", "payments", "audit"];

    /// <summary>
    /// Starts the embedded cluster unless hosts are configured, and registers the start-up banner. Returns whether the
    /// embedded cluster is in use.
    /// </summary>
    public static bool UseIfNoHostsConfigured(ConfigurationManager configuration, IServiceCollection services)
    {
        MockKafkaCluster? cluster = null;
        if (string.IsNullOrWhiteSpace(configuration["Kafka:Hosts"]) && string.IsNullOrWhiteSpace(configuration["Kafka:ZooKeeperHosts"]))
        {
            cluster = MockKafkaCluster.Start(brokerCount: 3);
            // A consumer group forms at once instead of after the mock's default 3 s rebalance delay.
            cluster.SetGroupInitialRebalanceDelay(TimeSpan.Zero);
            cluster.CreateTopic("orders", partitions: 6, replicationFactor: 3);
            cluster.CreateTopic("payments", partitions: 3, replicationFactor: 2);
            cluster.CreateTopic("audit", partitions: 1, replicationFactor: 1);
            configuration.AddInMemoryCollection([new("Kafka:Hosts", cluster.BootstrapServers)]);
            services.AddSingleton(cluster); // disposed with the container, after the client has closed its connections
        }
        // Registered before AddKafkaClient, so its line is the first the application logs.
        services.AddHostedService(sp => new Banner(sp.GetRequiredService<ILogger<Banner>>(), cluster, configuration["Kafka:Hosts"]));
        return cluster is not null;
    }

    private sealed partial class Banner(ILogger<Banner> logger, MockKafkaCluster? cluster, string? hosts) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (cluster is not null)
            {
                LogEmbedded(logger, cluster.BrokerIds.Count, cluster.BootstrapServers, string.Join(", ", Topics));
            }
            else
            {
                LogConfigured(logger, hosts ?? "(ZooKeeper)");
            }
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(1, LogLevel.Information, "No Kafka:Hosts configured: started an embedded MockKafkaCluster with {BrokerCount} brokers at {Hosts} (topics {Topics}). Set Kafka:Hosts to use a real cluster.")]
        private static partial void LogEmbedded(ILogger logger, int brokerCount, string hosts, string topics);

        [LoggerMessage(2, LogLevel.Information, "Using the Kafka cluster at {Hosts}")]
        private static partial void LogConfigured(ILogger logger, string hosts);
    }
}
