using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class FetchTests
{
    private const string TopicId = "0102030405060708090a0b0c0d0e0f10";

    private static FetchRequest Sample() => new()
    {
        MaxWaitMs = 100,
        MinBytes = 1,
        MaxBytes = 0x00100000,
        IsolationLevel = 1,
        Topics =
        [
            new FetchTopic("t", Guid.Parse(TopicId), [new FetchPartition(0, FetchOffset: 5, PartitionMaxBytes: 0x10000, CurrentLeaderEpoch: 7)]),
        ],
    };

    private static string Encode(FetchRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    /// <summary>The request as the schema lays it out, built field by field with <see cref="Wire"/>.</summary>
    private static string Expected(short version)
    {
        var flexible = version >= 12;
        var w = new Wire();
        if (version < 15)
        {
            w.I32(-1);
        }
        w.I32(100).I32(1).I32(0x00100000).I8(1);
        if (version >= 7)
        {
            w.I32(0).I32(-1);
        }
        w.Len(1, flexible);
        if (version >= 13)
        {
            w.Uuid(TopicId);
        }
        else
        {
            w.S("t", flexible);
        }
        w.Len(1, flexible).I32(0);
        if (version >= 9)
        {
            w.I32(7);
        }
        w.I64(5);
        if (version >= 12)
        {
            w.I32(-1);
        }
        if (version >= 5)
        {
            w.I64(-1);
        }
        w.I32(0x10000).Tags(flexible).Tags(flexible);
        if (version >= 7)
        {
            w.Len(0, flexible);
        }
        if (version >= 11)
        {
            w.S("", flexible);
        }
        w.Tags(flexible);
        return Hex.Format(w.ToArray());
    }

    [Test]
    public void Request_every_version([Range(4, 18)] int version) =>
        Assert.That(Encode(Sample(), (short)version), Is.EqualTo(Expected((short)version)));

    [Test]
    public void Request_fixed_vectors()
    {
        // v4: replica -1, wait 100, min 1, max 1 MiB, read committed, "t" partition 0 at offset 5, 64 KiB.
        Assert.That(Encode(Sample(), 4), Is.EqualTo(Normalize(
            "ffffffff 00000064 00000001 00100000 01 00000001 0001 74 00000001 00000000 0000000000000005 00010000")));
        // v12: flexible; session 0/-1, epoch 7, last fetched epoch -1, log start -1, empty forgotten list, rack "".
        Assert.That(Encode(Sample(), 12), Is.EqualTo(Normalize(
            "ffffffff 00000064 00000001 00100000 01 00000000 ffffffff 02 02 74 02 00000000 00000007 0000000000000005 ffffffff ffffffffffffffff 00010000 00 00 01 01 00")));
        // v13: the topic by id.
        Assert.That(Encode(Sample(), 13), Is.EqualTo(Normalize(
            "ffffffff 00000064 00000001 00100000 01 00000000 ffffffff 02 " + TopicId + " 02 00000000 00000007 0000000000000005 ffffffff ffffffffffffffff 00010000 00 00 01 01 00")));
        // v15: no replica id.
        Assert.That(Encode(Sample(), 15), Is.EqualTo(Normalize(
            "00000064 00000001 00100000 01 00000000 ffffffff 02 " + TopicId + " 02 00000000 00000007 0000000000000005 ffffffff ffffffffffffffff 00010000 00 00 01 01 00")));
    }

    [Test]
    public void A_topic_without_an_id_cannot_be_fetched_at_v13()
    {
        var request = new FetchRequest { Topics = [new FetchTopic("t", Guid.Empty, [new FetchPartition(0, 0, 1)])] };
        var error = Assert.Throws<KafkaVersionException>(() => Encode(request, 13));
        Assert.That(error!.Message, Does.Contain("'t'"));
        Assert.DoesNotThrow(() => Encode(request, 12));
    }

    [TestCase((short)3)]
    [TestCase((short)19)]
    public void Versions_outside_4_to_18_are_not_spoken(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(Sample(), version));

    private static readonly byte[] Records = [0xAA, 0xBB, 0xCC];

    /// <summary>A response with one topic and two partitions: one with records and an aborted transaction, one with an error and null records.</summary>
    internal static byte[] ResponseBytes(short version)
    {
        var flexible = version >= 12;
        var w = new Wire().I32(3); // throttle
        if (version >= 7)
        {
            w.I16(0).I32(0);
        }
        w.Len(1, flexible);
        if (version >= 13)
        {
            w.Uuid(TopicId);
        }
        else
        {
            w.S("t", flexible);
        }
        w.Len(2, flexible);
        // Partition 0: records and one aborted transaction.
        w.I32(0).I16(0).I64(100).I64(90);
        if (version >= 5)
        {
            w.I64(10);
        }
        w.Len(1, flexible).I64(4242).I64(50).Tags(flexible);
        if (version >= 11)
        {
            w.I32(-1);
        }
        if (flexible)
        {
            w.UVarInt((uint)Records.Length + 1).Raw(Records);
            // Tagged fields: CurrentLeader (tag 1) = leader 2, epoch 9; must be skipped.
            w.UVarInt(1).UVarInt(1).UVarInt(9).I32(2).I32(9).U8(0);
        }
        else
        {
            w.I32(Records.Length).Raw(Records);
        }
        // Partition 1: NOT_LEADER_OR_FOLLOWER, null aborted list, null records.
        w.I32(1).I16(6).I64(-1).I64(-1);
        if (version >= 5)
        {
            w.I64(-1);
        }
        w.Len(-1, flexible);
        if (version >= 11)
        {
            w.I32(3);
        }
        if (flexible)
        {
            w.UVarInt(0).Tags(true);
        }
        else
        {
            w.I32(-1);
        }
        w.Tags(flexible);
        if (version >= 16)
        {
            // NodeEndpoints (tag 0): one node, skipped.
            var endpoints = new Wire().Len(1, true).I32(2).CStr("h").I32(9092).CStr(null).Tags(true).ToArray();
            w.UVarInt(1).UVarInt(0).UVarInt((uint)endpoints.Length).Raw(endpoints);
        }
        else
        {
            w.Tags(flexible);
        }
        return w.ToArray();
    }

    [Test]
    public void Response_every_version([Values(4, 5, 7, 11, 12, 13, 15, 16, 17, 18)] int v)
    {
        var version = (short)v;
        var bytes = ResponseBytes(version);
        var reader = new KafkaReader(bytes);
        using var response = new FetchRequest().ReadResponse(ref reader, version);
        response.Attach(bytes, null);

        Assert.That(reader.End, Is.True, "the whole body is read");
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(3));
        var topic = response.Topics.Single();
        Assert.That(topic.Name, Is.EqualTo(version >= 13 ? null : "t"));
        Assert.That(topic.TopicId, Is.EqualTo(version >= 13 ? Guid.Parse(TopicId) : Guid.Empty));
        var p0 = topic.Partitions[0];
        Assert.That((p0.PartitionIndex, p0.ErrorCode, p0.HighWatermark, p0.LastStableOffset), Is.EqualTo((0, KafkaErrorCode.None, 100L, 90L)));
        Assert.That(p0.LogStartOffset, Is.EqualTo(version >= 5 ? 10 : -1));
        Assert.That(p0.AbortedTransactions, Is.EqualTo(new[] { new AbortedTransaction(4242, 50) }));
        Assert.That(response.GetRecords(p0).ToArray(), Is.EqualTo(Records));
        var p1 = topic.Partitions[1];
        Assert.That((p1.PartitionIndex, p1.ErrorCode), Is.EqualTo((1, KafkaErrorCode.NotLeaderOrFollower)));
        Assert.That(p1.AbortedTransactions, Is.Null);
        Assert.That(p1.PreferredReadReplica, Is.EqualTo(version >= 11 ? 3 : -1));
        Assert.That(response.GetRecords(p1).IsEmpty, Is.True);
    }

    [Test]
    public void A_response_without_a_frame_cannot_hand_out_records()
    {
        var bytes = ResponseBytes(4);
        var reader = new KafkaReader(bytes);
        var response = new FetchRequest().ReadResponse(ref reader, 4);
        Assert.Throws<InvalidOperationException>(() => response.GetRecords(response.Topics[0].Partitions[0]));
    }

    [Test]
    public void A_hostile_aborted_transaction_count_is_a_protocol_error()
    {
        var bytes = new Wire().I32(0).I32(1).Str("t").I32(1)
            .I32(0).I16(0).I64(0).I64(0).I64(0).I32(1_000_000).ToArray();
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes);
            new FetchRequest().ReadResponse(ref reader, 5);
        });
    }
}
