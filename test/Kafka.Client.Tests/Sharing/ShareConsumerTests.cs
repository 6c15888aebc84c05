using System.Collections.Concurrent;
using Kafka.Client.Tests.Support;

namespace Kafka.Client.Tests.Sharing;

/// <summary>Share consumers (KIP-932) against librdkafka's mock share groups.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ShareConsumerTests
{
    [Test]
    public async Task Three_members_share_one_partition_and_every_record_is_accepted_exactly_once()
    {
        await using var s = new ShareScenario();
        var members = new[] { await s.StartMemberAsync(), await s.StartMemberAsync(), await s.StartMemberAsync() };
        await s.ShareAllPartitionsAsync(members);
        var sent = await s.ProduceAsync(300);

        var ledger = new ShareLedger();
        var accepted = new ConcurrentDictionary<long, string>();
        var duplicates = new ConcurrentQueue<long>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var loops = members.Select((m, i) => Task.Run(() => ShareScenario.PollUntilAsync(m, () => accepted.Count >= sent.Count, message =>
        {
            ledger.Add($"m{i}", message);
            if (!accepted.TryAdd(message.Offset, $"m{i}"))
            {
                duplicates.Enqueue(message.Offset);
            }
            m.Acknowledge(message, ShareAcknowledgeType.Accept);
        }, stop.Token))).ToArray();
        await Task.WhenAll(loops);
        foreach (var member in members)
        {
            Assert.That(await member.CommitAsync(TestSupport.Timeout()), Is.Empty, "no acknowledgement was refused");
        }

        Assert.That(accepted.Keys.Order(), Is.EqualTo(sent.Select(x => x.Offset).Order()), "every record handled");
        Assert.That(duplicates, Is.Empty, "no record handed out twice");
        Assert.That(ledger.Deliveries.All(d => d.DeliveryCount == 1), "every record delivered once");
        Assert.That(ledger.Deliveries.Select(d => d.Member).Distinct().Count(), Is.GreaterThan(1), "the partition was shared: more than one member received records");
    }
}
