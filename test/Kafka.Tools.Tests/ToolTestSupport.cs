using Confluent.Kafka;
using Kafka.Testing;

namespace Kafka.Tools.Tests;

internal static class ToolTestSupport
{
    public static async Task ProduceAsync(string bootstrap, string topic, int partition, params string[] values)
    {
        using var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 0 })
            .SetLogHandler((_, _) => { }).Build();
        foreach (var value in values)
        {
            await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<string?, string> { Value = value });
        }
    }

    public static IConsumer<byte[], byte[]> GroupConsumer(string bootstrap, string group) =>
        new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group })
            .SetLogHandler((_, _) => { }).Build();

    public static long Committed(IConsumer<byte[], byte[]> consumer, string topic, int partition) =>
        consumer.Committed([new TopicPartition(topic, partition)], TimeSpan.FromSeconds(10)).Single().Offset.Value;

    public static MockKafkaCluster Start(bool serveTopicAdmin = false) => MockKafkaCluster.Start(brokerCount: 1, serveTopicAdmin: serveTopicAdmin);
}
