using Confluent.Kafka;

namespace Kafka.HostedBenchmarks;

internal static class Producing
{
    /// <summary>Produces the case's messages once (Confluent.Kafka, no compression), the same random value in each, spread evenly over the partitions.</summary>
    public static void Fill(string bootstrap, Case benchmark, string? topic = null)
    {
        topic ??= benchmark.Topic;
        using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            LingerMs = 20,
            BatchSize = 1_000_000,
            QueueBufferingMaxMessages = 1_000_000,
        }).SetLogHandler((_, _) => { }).Build();
        var value = new byte[benchmark.ValueSize];
        Random.Shared.NextBytes(value);
        for (var i = 0; i < benchmark.Messages; i++)
        {
            while (true)
            {
                try
                {
                    producer.Produce(new TopicPartition(topic, i % Case.Partitions), new Message<Null, byte[]> { Value = value });
                    break;
                }
                catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(10));
                }
            }
        }
        if (producer.Flush(TimeSpan.FromMinutes(2)) > 0)
        {
            throw new InvalidOperationException($"Producing {benchmark.Messages} messages to {topic} did not finish within 2 minutes.");
        }
    }
}
