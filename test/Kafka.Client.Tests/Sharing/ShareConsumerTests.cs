using System.Collections.Concurrent;
using System.Net;
using Kafka.Client.Tests.Support;
using Kafka.Testing;

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

    [Test]
    public async Task A_released_record_comes_again_with_a_higher_delivery_count_and_a_rejected_one_never()
    {
        await using var s = new ShareScenario();
        var member = await s.StartMemberAsync();
        await s.ShareAllPartitionsAsync([member]);
        var sent = await s.ProduceAsync(10);
        const long Released = 3, Rejected = 6;

        var deliveries = new List<(long Offset, int Count)>();
        var released = 0;
        await ShareScenario.PollUntilAsync(member, () => released > 0 && deliveries.Count(d => d.Offset == Released) == 2, message =>
        {
            deliveries.Add((message.Offset, message.DeliveryCount!.Value));
            var type = message.Offset switch
            {
                Released when message.DeliveryCount == 1 => ShareAcknowledgeType.Release,
                Rejected => ShareAcknowledgeType.Reject,
                _ => ShareAcknowledgeType.Accept,
            };
            released += type == ShareAcknowledgeType.Release ? 1 : 0;
            member.Acknowledge(message, type);
        }, TestSupport.Timeout());
        Assert.That(await member.CommitAsync(TestSupport.Timeout()), Is.Empty);
        // A few more polls: nothing is left to hand out, and the rejected record does not come back.
        for (var i = 0; i < 3; i++)
        {
            Assert.That(await member.PollAsync(TestSupport.Timeout()), Is.Empty, "everything was accepted, rejected, or accepted after its release");
        }

        Assert.That(deliveries.Where(d => d.Offset == Released).Select(d => d.Count), Is.EqualTo(new[] { 1, 2 }), "released, then delivered again with count 2");
        Assert.That(deliveries.Count(d => d.Offset == Rejected), Is.EqualTo(1), "rejected: never delivered again");
        Assert.That(deliveries.Select(d => d.Offset).Distinct().Order(), Is.EqualTo(sent.Select(x => x.Offset).Order()));
    }

    [Test]
    public async Task A_record_not_acknowledged_before_its_lock_runs_out_goes_to_another_member_and_the_late_acknowledgement_is_refused()
    {
        await using var s = new ShareScenario(recordLock: TimeSpan.FromMilliseconds(500));
        var slow = await s.StartMemberAsync();
        var other = await s.StartMemberAsync();
        await s.ShareAllPartitionsAsync([slow, other]);
        await s.ProduceAsync(1);

        ConsumedMessage? held = null;
        await ShareScenario.PollUntilAsync(slow, () => held is not null, m => held = m, TestSupport.Timeout());
        Assert.That(held!.DeliveryCount, Is.EqualTo(1));

        // The slow member sits on the record; once its lock has run out the group hands it to the other member.
        ConsumedMessage? again = null;
        await ShareScenario.PollUntilAsync(other, () => again is not null, m => again = m, TestSupport.Timeout());
        Assert.That((again!.Offset, again.DeliveryCount), Is.EqualTo((held.Offset, 2)), "delivered again, counted");

        // The slow member's acknowledgement comes too late: the record is the other member's now.
        slow.Acknowledge(held, ShareAcknowledgeType.Reject);
        var refused = await slow.CommitAsync(TestSupport.Timeout());
        Assert.That(refused.Select(f => (f.PartitionId, f.ErrorCode, Offsets: string.Join(",", f.Offsets))),
            Is.EqualTo(new[] { (0, KafkaErrorCode.InvalidRecordState, held.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture)) }),
            "the broker refuses an acknowledgement that comes after the lock ran out");
        other.Acknowledge(again);
        Assert.That(await other.CommitAsync(TestSupport.Timeout()), Is.Empty, "the late reject changed nothing: the other member accepts");
    }

    [Test]
    public async Task Implicit_mode_accepts_a_poll_at_the_next_poll_and_disposing_releases_what_was_not_acknowledged()
    {
        await using var s = new ShareScenario();
        var options = ShareScenario.Options(ShareAcknowledgementMode.Implicit);
        options.MaxPollRecords = 5;
        var first = await s.StartMemberAsync(options);
        await s.ShareAllPartitionsAsync([first]);
        await s.ProduceAsync(10);

        var firstGot = new List<ConsumedMessage>();
        await ShareScenario.PollUntilAsync(first, () => firstGot.Count >= 5, firstGot.Add, TestSupport.Timeout());
        // Explicit acknowledgements win over the implicit ones: the first record is released, the rest accepted.
        first.Acknowledge(firstGot[0], ShareAcknowledgeType.Release);
        var secondPoll = new List<ConsumedMessage>();
        await ShareScenario.PollUntilAsync(first, () => secondPoll.Count > 0, secondPoll.Add, TestSupport.Timeout());
        Assert.That(() => first.Acknowledge(firstGot[1]), Throws.InvalidOperationException, "the previous poll's records were accepted already");
        var handledByFirst = firstGot.Skip(1).Concat(secondPoll).Select(m => m.Offset).ToHashSet();

        // The member leaves holding its second poll's records: disposing accepts them (implicit mode).
        await first.DisposeAsync();
        var second = await s.StartMemberAsync(options);
        await s.ShareAllPartitionsAsync([second]);
        var rest = new List<ConsumedMessage>();
        await ShareScenario.PollUntilAsync(second, () => handledByFirst.Count + rest.Count >= 10, rest.Add, TestSupport.Timeout());
        await second.CommitAsync(TestSupport.Timeout());

        var all = firstGot.Concat(secondPoll).Concat(rest).ToList();
        Assert.That(all.Where(m => m.Offset == firstGot[0].Offset).Select(m => m.DeliveryCount), Is.EqualTo(new int?[] { 1, 2 }), "the released record came again, counted");
        Assert.That(rest.Select(m => m.Offset).Intersect(handledByFirst), Is.Empty, "records accepted by the first member (at its next poll or on dispose) never come back");
        Assert.That(handledByFirst.Concat(rest.Select(m => m.Offset)).Order(), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (long)i)), "each record handled once in the end");
    }

    [Test]
    public async Task A_member_that_leaves_without_acknowledging_hands_its_records_back_at_once()
    {
        await using var s = new ShareScenario();
        var leaving = await s.StartMemberAsync(ShareScenario.Options(ShareAcknowledgementMode.Explicit));
        var staying = await s.StartMemberAsync();
        await s.ShareAllPartitionsAsync([leaving, staying]);
        await s.ProduceAsync(5);
        var held = new List<ConsumedMessage>();
        await ShareScenario.PollUntilAsync(leaving, () => held.Count >= 5, held.Add, TestSupport.Timeout());

        await leaving.DisposeAsync(); // explicit mode: nothing acknowledged, so the session's close releases all five

        var redelivered = new List<ConsumedMessage>();
        await ShareScenario.PollUntilAsync(staying, () => redelivered.Count >= 5, m =>
        {
            redelivered.Add(m);
            staying.Acknowledge(m);
        }, TestSupport.Timeout());
        Assert.That(redelivered.Select(m => (m.Offset, m.DeliveryCount)), Is.EquivalentTo(held.Select(m => (m.Offset, (int?)2))),
            "the other member got them well before the 30 s lock would have run out");
    }

    [Test]
    public async Task A_member_that_crashes_holding_records_loses_them_to_the_survivor_and_each_record_is_accepted_once()
    {
        // The crashing member's client connects from an address of its own, so the proxies can cut it off alone.
        var crashedHost = IPAddress.Parse("127.0.0.2");
        await using var s = new ShareScenario(); // 30 s locks: the records come back because the connections closed
        s.ProxyEveryBroker();
        var crashing = await s.StartMemberAsync(sourceAddress: crashedHost.ToString());
        var surviving = await s.StartMemberAsync();
        await s.ShareAllPartitionsAsync([crashing, surviving]);
        var sent = await s.ProduceAsync(10);

        var ledger = new ShareLedger();
        var got = new List<ConsumedMessage>();
        await ShareScenario.PollUntilAsync(crashing, () => got.Count >= sent.Count, m =>
        {
            ledger.Add("crashing", m);
            got.Add(m);
        }, TestSupport.Timeout());
        foreach (var message in got.Take(4))
        {
            crashing.Acknowledge(message);
        }
        Assert.That(await crashing.CommitAsync(TestSupport.Timeout()), Is.Empty, "the first four were accepted before the crash");
        var held = got.Skip(4).Select(m => m.Offset).ToList();

        // The crash: every connection of the member is cut, as the system closes a dead process's sockets, and each
        // new one is turned away. It is not disposed, sends no acknowledgement, closes no share session and never
        // leaves the group; the brokers see its share sessions' connections close.
        foreach (var proxy in s.Proxies)
        {
            proxy.IsolateSource(crashedHost);
        }
        await s.WaitUntilAsync(() => s.Proxies.Sum(p => p.TurnedAwayCount) > 0, "the crashed member's client tries to reconnect and is kept out");

        var redelivered = new List<ConsumedMessage>();
        await ShareScenario.PollUntilAsync(surviving, () => redelivered.Count >= held.Count, m =>
        {
            ledger.Add("surviving", m);
            redelivered.Add(m);
            surviving.Acknowledge(m);
        }, TestSupport.Timeout());
        Assert.That(await surviving.CommitAsync(TestSupport.Timeout()), Is.Empty, "no acknowledgement of the survivor was refused");
        Assert.That(await surviving.PollAsync(TestSupport.Timeout()), Is.Empty, "nothing else is left to hand out");

        Assert.That(redelivered.Select(m => (m.Offset, m.DeliveryCount)), Is.EquivalentTo(held.Select(o => (o, (int?)2))),
            "exactly the records the crashed member held came again, each with delivery count 2");
        var accepted = got.Take(4).Concat(redelivered).Select(m => m.Offset).ToList();
        Assert.That(accepted, Is.Unique, "no record accepted twice");
        Assert.That(accepted.Order(), Is.EqualTo(sent.Select(x => x.Offset).Order()), "every record accepted");
        Assert.That(ledger.Deliveries.Count, Is.EqualTo(sent.Count + held.Count), "no other delivery took place");
    }

    [Test]
    public async Task Acknowledging_a_record_twice_or_one_not_delivered_is_refused_at_once()
    {
        await using var s = new ShareScenario();
        var member = await s.StartMemberAsync();
        await s.ShareAllPartitionsAsync([member]);
        await s.ProduceAsync(1);
        ConsumedMessage? message = null;
        await ShareScenario.PollUntilAsync(member, () => message is not null, m => message = m, TestSupport.Timeout());

        member.Acknowledge(message!, ShareAcknowledgeType.Accept);
        Assert.That(() => member.Acknowledge(message!, ShareAcknowledgeType.Reject), Throws.InvalidOperationException.With.Message.Contains("acknowledged already"));
        Assert.That(() => member.Acknowledge(message!, (ShareAcknowledgeType)7), Throws.InstanceOf<ArgumentOutOfRangeException>());
        await member.DisposeAsync();
        Assert.That(() => member.Acknowledge(message!, ShareAcknowledgeType.Accept), Throws.InstanceOf<ObjectDisposedException>(),
            "after the sessions closed an acknowledgement could not be sent: refused, not kept");
    }

    [Test]
    public async Task Records_in_hand_stay_the_members_while_its_assignment_moves_away_and_back_and_are_acknowledged()
    {
        await using var s = new ShareScenario();
        var holder = await s.StartMemberAsync();
        var other = await s.StartMemberAsync();
        await s.WaitUntilAsync(() => holder.MemberEpoch > 0 && other.MemberEpoch > 0, "both members joined");
        IReadOnlyList<(string, int)> partition = [(ShareScenario.Topic, 0)], none = [];
        s.Cluster.SetShareGroupTargetAssignment(s.GroupId, new Dictionary<string, IReadOnlyList<(string, int)>> { [holder.MemberId] = partition, [other.MemberId] = none });
        await s.WaitUntilAsync(() => holder.Assignment.Count == 1 && other.Assignment.Count == 0, "the holder alone shares the partition");
        var sent = await s.ProduceAsync(10);
        var inHand = new List<ConsumedMessage>();
        await ShareScenario.PollUntilAsync(holder, () => inHand.Count >= sent.Count, inHand.Add, TestSupport.Timeout(), "all ten records");

        // The partition moves to the other member while the holder's records are in hand; both poll on.
        s.Cluster.SetShareGroupTargetAssignment(s.GroupId, new Dictionary<string, IReadOnlyList<(string, int)>> { [holder.MemberId] = none, [other.MemberId] = partition });
        await s.WaitUntilAsync(() => holder.Assignment.Count == 0 && other.Assignment.Count == 1, "the partition moved to the other member");
        Assert.That(await holder.PollAsync(TestSupport.Timeout()), Is.Empty, "the holder fetches nothing new");
        Assert.That(await other.PollAsync(TestSupport.Timeout()), Is.Empty, "the records in the holder's hands are still locked to it");
        // And back (a fenced member that joins again sees its assignment go 1 → 0 → 1 the same way).
        s.Cluster.SetShareGroupTargetAssignment(s.GroupId, new Dictionary<string, IReadOnlyList<(string, int)>> { [holder.MemberId] = partition, [other.MemberId] = none });
        await s.WaitUntilAsync(() => holder.Assignment.Count == 1 && other.Assignment.Count == 0, "the partition came back to the holder");
        Assert.That(await holder.PollAsync(TestSupport.Timeout()), Is.Empty, "records in hand are not handed out again");

        const long Released = 4;
        foreach (var message in inHand)
        {
            holder.Acknowledge(message, message.Offset == Released ? ShareAcknowledgeType.Release : ShareAcknowledgeType.Accept);
        }
        Assert.That(await holder.CommitAsync(TestSupport.Timeout()), Is.Empty, "every acknowledgement applied: the records stayed the holder's");
        var again = new List<ConsumedMessage>();
        await ShareScenario.PollUntilAsync(holder, () => again.Count >= 1, again.Add, TestSupport.Timeout(), "the released record");
        Assert.That(again.Select(m => (m.Offset, m.DeliveryCount)), Is.EqualTo(new[] { (Released, (int?)2) }), "only the released record came again, counted");
        holder.Acknowledge(again[0]);
        Assert.That(await holder.CommitAsync(TestSupport.Timeout()), Is.Empty);
        Assert.That(inHand.Select(m => (m.Offset, m.DeliveryCount)), Is.EqualTo(sent.Select(x => (x.Offset, (int?)1))), "each record handed out once before");
    }

    [Test]
    public void Invalid_options_fail_at_creation_listing_every_problem()
    {
        using var client = TestSupport.NewClient("127.0.0.1:1");
        var options = new ShareConsumerOptions { MaxPollRecords = 0, FetchMaxBytes = -1, AcknowledgementMode = (ShareAcknowledgementMode)9 };
        var error = Assert.Throws<ArgumentException>(() => client.GetShareConsumer(["t"], "g", options));
        Assert.That(error!.Message, Does.Contain("MaxPollRecords").And.Contain("FetchMaxBytes").And.Contain("AcknowledgementMode"));
        Assert.Throws<ArgumentException>(() => client.GetShareConsumer([], "g"));
        Assert.Throws<ArgumentException>(() => client.GetShareConsumer(["t"], ""));
    }

    [Test]
    public async Task Records_held_across_polls_are_not_handed_out_twice()
    {
        await using var s = new ShareScenario();
        var options = ShareScenario.Options();
        options.MaxPollRecords = 3;
        var member = await s.StartMemberAsync(options);
        await s.ShareAllPartitionsAsync([member]);
        await s.ProduceAsync(9);

        // Nothing is acknowledged while polling: the member holds each record it got (the mock lists them again in
        // every answer); each must be handed out once.
        var got = new List<long>();
        await ShareScenario.PollUntilAsync(member, () => got.Count >= 9, m => got.Add(m.Offset), TestSupport.Timeout());
        for (var i = 0; i < 2; i++)
        {
            got.AddRange((await member.PollAsync(TestSupport.Timeout())).Select(m => m.Offset));
        }

        Assert.That(got, Is.EqualTo(Enumerable.Range(0, 9).Select(i => (long)i)), "each record once, in the order acquired");
    }

    [Test]
    public async Task A_broker_without_share_group_version_1_fails_the_poll_with_a_version_error()
    {
        await using var s = new ShareScenario();
        s.Cluster.SetApiVersion(76, 0, 0); // ShareGroupHeartbeat v0 only: Kafka 4.0's early access
        var member = await s.StartMemberAsync();

        KafkaVersionException? error = null;
        await s.WaitUntilAsync(() =>
        {
            try
            {
                _ = member.PollAsync(TestSupport.Timeout()).AsTask().GetAwaiter().GetResult();
                return false;
            }
            catch (KafkaVersionException ex)
            {
                error = ex;
                return true;
            }
        }, "the poll fails");
        Assert.That(error!.Message, Does.Contain("ShareGroupHeartbeat"));
    }

    [Test]
    public async Task A_share_group_mixes_this_client_with_librdkafkas_share_consumer_and_every_record_is_consumed_once()
    {
        await using var s = new ShareScenario(partitions: 2);
        var ours = await s.StartMemberAsync(ShareScenario.Options(ShareAcknowledgementMode.Implicit));
        using var peer = LibrdkafkaShareConsumer.Create(s.Cluster.BootstrapServers, s.GroupId, [ShareScenario.Topic]);
        // The mock's assignor gives each member one of the two partitions once both have joined, but a member learns it
        // only at its next heartbeat and the brokers do not check assignments, so the first records written may all go
        // to one member. Batches are written until both have taken part (usually the first one does).
        await s.WaitUntilAsync(() => ours.Assignment.Count == 1, "both members joined, each with one partition");
        var byUs = new List<(int Partition, long Offset)>();
        var byPeer = new List<(int Partition, long Offset)>();
        var done = false;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var peerLoop = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested && !Volatile.Read(ref done))
            {
                foreach (var record in peer.Poll(TimeSpan.FromMilliseconds(100)))
                {
                    lock (byPeer)
                    {
                        byPeer.Add((record.Partition, record.Offset));
                    }
                }
            }
        });
        var ourLoop = Task.Run(() => ShareScenario.PollUntilAsync(ours, () => Volatile.Read(ref done), m =>
        {
            lock (byPeer)
            {
                byUs.Add((m.PartitionId, m.Offset));
            }
        }, stop.Token, "the end of the test"));
        int Consumed()
        {
            lock (byPeer)
            {
                return byUs.Count + byPeer.Count;
            }
        }
        var sent = new List<(int Partition, long Offset)>();
        for (var round = 0; round < 10 && (round == 0 || byUs.Count == 0 || byPeer.Count == 0); round++)
        {
            sent.AddRange(await s.ProduceAsync(100, partitions: 2));
            await s.WaitUntilAsync(() => Consumed() >= sent.Count, $"the {sent.Count} records written so far consumed");
        }
        Volatile.Write(ref done, true);
        await Task.WhenAll(peerLoop, ourLoop);

        var all = byUs.Concat(byPeer).ToList();
        Assert.That(all, Is.Unique, "no record handed to both members, or twice");
        Assert.That(all, Is.EquivalentTo(sent), "every record consumed");
        Assert.That(byUs, Is.Not.Empty, "this client took part");
        Assert.That(byPeer, Is.Not.Empty, "librdkafka's share consumer took part");
    }
}
