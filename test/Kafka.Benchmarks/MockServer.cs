using Kafka.Testing;

namespace Kafka.Benchmarks;

/// <summary>
/// The mock cluster's own process, so that the broker's CPU is not counted as the client's. Protocol on stdin/stdout:
/// it prints <c>BOOTSTRAP host:port,...</c>, then answers <c>create topic partitions [replicas]</c> with <c>created</c>, and exits
/// on <c>quit</c> or when stdin closes (the orchestrator went away).
/// </summary>
internal static class MockServer
{
    public static int Run(int brokers)
    {
        using var cluster = MockKafkaCluster.Start(brokers);
        Console.Out.WriteLine($"BOOTSTRAP {cluster.BootstrapServers}");
        Console.Out.Flush();
        string? line;
        while ((line = Console.In.ReadLine()) is not null)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts is ["create", var topic, var partitions, ..] && parts.Length <= 4)
            {
                var replicas = parts.Length == 4 ? int.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture) : 1;
                cluster.CreateTopic(topic, int.Parse(partitions, System.Globalization.CultureInfo.InvariantCulture), replicas);
                Console.Out.WriteLine("created");
                Console.Out.Flush();
            }
            else if (parts is ["quit"])
            {
                break;
            }
        }
        return 0;
    }
}
