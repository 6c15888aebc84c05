using Kafka.Client;
using Microsoft.Extensions.DependencyInjection;
using static Kafka.Hosting.Tests.Consumers.ConsumerTestKit;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>MaxInFlightMessages bounds what is fetched and not handled; a slow partition is paused, and the others go on.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class BackpressureTests
{
    [Test]
    public async Task A_stuck_partition_is_paused_past_its_share_the_others_flow_and_in_flight_messages_stay_bounded()
    {
        await using var cluster = StartCluster();
        cluster.CreateTopic("orders", 4, 1);
        var journal = new Journal { Holds = (_, partition, _) => partition == 0 };
        var logs = new Support.LogCapture();
        using var host = Host(cluster, s =>
        {
            s.AddSingleton(journal);
            s.AddKafkaClient().AddConsumer<JournalHandler>("orders", "billing", o =>
            {
                Fast(o);
                o.MaxInFlightMessages = 40;
            });
        }, logs: logs);
        await host.StartAsync();
        var service = Service(host);
        await WaitForAsync(() => service.Consumer?.Assignment.Count == 4, "the member owning the partitions");
        var maxInFlight = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                maxInFlight = Math.Max(maxInFlight, service.Session?.InFlight ?? 0);
                await Task.Yield();
            }
        });
        await ProduceAsync(cluster, "orders", 4, 100);

        await WaitForAsync(() => journal.Handled.Keys.Count(k => k.Partition != 0) == 300, "the other partitions handled while partition 0 is stuck", logs);
        await WaitForAsync(() => service.Consumer!.Paused.Contains(new TopicAndPartition("orders", 0)), "partition 0 paused");
        var lane = service.Session!.Lanes.Single(l => l.Partition.Partition == 0);
        Assert.That(lane.Pending, Is.InRange(20, 29), "paused once it held twice its share of 40 / 4, having taken at most one share more");

        journal.Gate.SetResult();
        await WaitForAsync(() => journal.Count == 400, "partition 0 resumed and caught up");
        await sampling.CancelAsync();
        await sampler;
        Assert.That(maxInFlight, Is.InRange(1, 40), "never more than MaxInFlightMessages fetched and not handled");
        Assert.That(service.Consumer!.Paused, Is.Empty);
        await WaitForAsync(() => Committed(cluster, "orders", 4, "billing").Values.All(o => o == 100), "everything committed");
        await host.StopAsync();
    }
}
