using System.Diagnostics;
using Confluent.Kafka;
using Kafka.Testing;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Tests.Support;

internal static class TestSupport
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static KafkaClient NewClient(
        MockKafkaCluster cluster, Action<KafkaClientOptions>? configure = null, ILoggerFactory? loggerFactory = null, TimeProvider? time = null) =>
        NewClient(cluster.BootstrapServers, configure, loggerFactory, time);

    public static KafkaClient NewClient(string hosts, Action<KafkaClientOptions>? configure = null, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        var options = new KafkaClientOptions
        {
            Hosts = hosts,
            SocketTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = TimeSpan.FromSeconds(3),
            ReconnectBackoff = TimeSpan.FromMilliseconds(20),
            ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
        };
        configure?.Invoke(options);
        return new KafkaClient(options, loggerFactory, time);
    }

    public static CancellationToken Timeout(TimeSpan? after = null) => new CancellationTokenSource(after ?? Deadline).Token;

    public static IAdminClient PeerAdmin(MockKafkaCluster cluster) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers })
            .SetLogHandler((_, _) => { })
            .Build();

    public static IProducer<byte[], byte[]> PeerProducer(MockKafkaCluster cluster) =>
        new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            LingerMs = 0,
            MessageTimeoutMs = 10_000,
        }).SetLogHandler((_, _) => { }).Build();
}
