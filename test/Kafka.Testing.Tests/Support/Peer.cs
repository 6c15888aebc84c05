using Confluent.Kafka;

namespace Kafka.Testing.Tests.Support;

/// <summary>
/// Confluent.Kafka as the independent client that checks the mock behaves as documented.
/// </summary>
/// <remarks>
/// Confluent.Kafka loads librdkafka by itself: 2.16 tries runtimes/linux-x64/native/librdkafka.so and, when that
/// fails (it needs libsasl2.so.3, absent on a fresh Debian), centos8-librdkafka.so, the same file
/// <see cref="MockKafkaCluster.NativeLibraryPath"/> picks. So no Library.Load call is needed here.
/// </remarks>
internal static class Peer
{
    public static IAdminClient Admin(MockKafkaCluster cluster, Action<string>? log = null, string? debug = null)
    {
        var config = new AdminClientConfig { BootstrapServers = cluster.BootstrapServers, Debug = debug };
        var builder = new AdminClientBuilder(config);
        builder.SetLogHandler((_, message) =>
        {
            log?.Invoke($"{message.Facility}: {message.Message}");
        });
        return builder.Build();
    }

    public static IProducer<string, string> Producer(MockKafkaCluster cluster)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            MessageTimeoutMs = 10_000,
            LingerMs = 0,
        };
        return new ProducerBuilder<string, string>(config).SetLogHandler((_, _) => { }).Build();
    }

    /// <summary>
    /// A metadata request. While the test moves or stops brokers, librdkafka may send it to a broker whose connection
    /// is about to drop, and then waits for the whole timeout; such calls use a short one inside <see cref="Eventually"/>.
    /// </summary>
    public static Metadata Metadata(IAdminClient admin, TimeSpan? timeout = null) => admin.GetMetadata(timeout ?? TimeSpan.FromSeconds(10));

    public static TopicMetadata Topic(IAdminClient admin, string topic, TimeSpan? timeout = null) =>
        admin.GetMetadata(topic, timeout ?? TimeSpan.FromSeconds(10)).Topics.Single(t => t.Topic == topic);

    public static readonly TimeSpan Short = TimeSpan.FromSeconds(1);

    public static Task<DeliveryResult<string, string>> ProduceAsync(IProducer<string, string> producer, string topic, string value, int partition = 0) =>
        producer.ProduceAsync(new TopicPartition(topic, partition), new Message<string, string> { Key = "k", Value = value })
            .WaitAsync(TimeSpan.FromSeconds(20));
}
