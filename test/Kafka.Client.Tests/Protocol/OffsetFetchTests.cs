using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class OffsetFetchTests
{
    private static OffsetFetchRequest Sample() => new()
    {
        GroupId = "g",
        Topics = [new OffsetFetchTopic("t", [0, 2])],
    };

    private static string Encode(OffsetFetchRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    [TestCase((short)1, "0001 67 00000001 0001 74 00000002 00000000 00000002")]
    [TestCase((short)5, "0001 67 00000001 0001 74 00000002 00000000 00000002")]
    [TestCase((short)6, "02 67 02 02 74 03 00000000 00000002 00 00")]
    [TestCase((short)7, "02 67 02 02 74 03 00000000 00000002 00 00 00")]
    // v8: one group; v9 adds member id (null) and epoch (-1).
    [TestCase((short)8, "02 02 67 02 02 74 03 00000000 00000002 00 00 00 00")]
    [TestCase((short)9, "02 02 67 00 ffffffff 02 02 74 03 00000000 00000002 00 00 00 00")]
    public void Request_every_version(short version, string hex) =>
        Assert.That(Encode(Sample(), version), Is.EqualTo(Normalize(hex)));

    [Test]
    public void A_consumer_protocol_member_names_itself_and_its_epoch_from_v9_only()
    {
        var request = Sample();
        request.MemberId = "m";
        request.MemberEpoch = 7;
        Assert.Multiple(() =>
        {
            Assert.That(Encode(request, 9), Is.EqualTo(Normalize("02 02 67 02 6d 00000007 02 02 74 03 00000000 00000002 00 00 00 00")));
            Assert.That(Encode(request, 8), Is.EqualTo(Normalize("02 02 67 02 02 74 03 00000000 00000002 00 00 00 00")));
        });
    }

    [Test]
    public void Every_topic_and_require_stable()
    {
        var request = new OffsetFetchRequest { GroupId = "g", Topics = null, RequireStable = true };
        Assert.Throws<KafkaVersionException>(() => Encode(request, 1));
        Assert.Throws<KafkaVersionException>(() => Encode(request, 6));
        Assert.That(Encode(request, 7), Is.EqualTo(Normalize("02 67 00 01 00")));
        request.RequireStable = false;
        Assert.That(Encode(request, 2), Is.EqualTo(Normalize("0001 67 ffffffff")));
    }

    [TestCase((short)0)]
    [TestCase((short)10)]
    public void Versions_outside_1_to_9_are_not_spoken(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(Sample(), version));

    private static Wire Topics(Wire w, short version, bool flexible)
    {
        w.Len(1, flexible).S("t", flexible).Len(2, flexible);
        w.I32(0).I64(42);
        if (version >= 5)
        {
            w.I32(3);
        }
        w.S("meta", flexible).I16(0).Tags(flexible);
        w.I32(2).I64(-1);
        if (version >= 5)
        {
            w.I32(-1);
        }
        w.S(null, flexible).I16(0).Tags(flexible);
        return w.Tags(flexible);
    }

    [TestCase((short)1)]
    [TestCase((short)2)]
    [TestCase((short)3)]
    [TestCase((short)5)]
    [TestCase((short)6)]
    [TestCase((short)7)]
    [TestCase((short)8)]
    [TestCase((short)9)]
    public void Response_every_version(short version)
    {
        var flexible = version >= 6;
        var w = new Wire();
        if (version >= 3)
        {
            w.I32(1);
        }
        if (version >= 8)
        {
            w.Len(2, true).CStr("other").Len(0, true).I16(0).Tags(true);
            w.CStr("g");
            Topics(w, version, flexible).I16(14).Tags(true);
        }
        else
        {
            Topics(w, version, flexible);
            if (version >= 2)
            {
                w.I16(14);
            }
        }
        w.Tags(flexible);
        var bytes = w.ToArray();
        var reader = new KafkaReader(bytes);
        var response = Sample().ReadResponse(ref reader, version);

        Assert.That(reader.End, Is.True);
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(version >= 3 ? 1 : 0));
        Assert.That(response.ErrorCode, Is.EqualTo(version >= 2 ? KafkaErrorCode.CoordinatorLoadInProgress : KafkaErrorCode.None));
        Assert.That(response.Topics.Single().Partitions, Is.EqualTo(new[]
        {
            new OffsetFetchPartitionResponse(0, 42, version >= 5 ? 3 : -1, "meta", KafkaErrorCode.None),
            new OffsetFetchPartitionResponse(2, -1, -1, null, KafkaErrorCode.None),
        }));
    }

    [Test]
    public void A_v8_response_without_our_group_is_a_protocol_error()
    {
        var bytes = new Wire().I32(0).Len(1, true).CStr("other").Len(0, true).I16(0).Tags(true).Tags(true).ToArray();
        Assert.Throws<KafkaProtocolException>(() =>
        {
            var reader = new KafkaReader(bytes);
            Sample().ReadResponse(ref reader, 8);
        });
    }
}
