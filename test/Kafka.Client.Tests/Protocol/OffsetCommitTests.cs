using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class OffsetCommitTests
{
    private static OffsetCommitRequest Sample() => new()
    {
        GroupId = "g",
        Topics = [new OffsetCommitTopic("t", [new OffsetCommitPartition(1, 42, CommittedLeaderEpoch: 3, CommittedMetadata: "")])],
    };

    private static string Encode(OffsetCommitRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    // Group "g", generation -1, member "", [instance null v7+], [retention -1 v2-4], topic "t": partition 1, offset 42,
    // [epoch 3 v6+], metadata "".
    [TestCase((short)2, "0001 67 ffffffff 0000 ffffffffffffffff 00000001 0001 74 00000001 00000001 000000000000002a 0000")]
    [TestCase((short)4, "0001 67 ffffffff 0000 ffffffffffffffff 00000001 0001 74 00000001 00000001 000000000000002a 0000")]
    [TestCase((short)5, "0001 67 ffffffff 0000 00000001 0001 74 00000001 00000001 000000000000002a 0000")]
    [TestCase((short)6, "0001 67 ffffffff 0000 00000001 0001 74 00000001 00000001 000000000000002a 00000003 0000")]
    [TestCase((short)7, "0001 67 ffffffff 0000 ffff 00000001 0001 74 00000001 00000001 000000000000002a 00000003 0000")]
    [TestCase((short)8, "02 67 ffffffff 01 00 02 02 74 02 00000001 000000000000002a 00000003 01 00 00 00")]
    [TestCase((short)9, "02 67 ffffffff 01 00 02 02 74 02 00000001 000000000000002a 00000003 01 00 00 00")]
    public void Request_every_version(short version, string hex) =>
        Assert.That(Encode(Sample(), version), Is.EqualTo(Normalize(hex)));

    [Test]
    public void Member_fields_and_null_metadata()
    {
        var request = new OffsetCommitRequest
        {
            GroupId = "g",
            GenerationIdOrMemberEpoch = 5,
            MemberId = "m",
            GroupInstanceId = "i",
            Topics = [new OffsetCommitTopic("t", [new OffsetCommitPartition(0, 7, CommittedMetadata: null)])],
        };
        Assert.That(Encode(request, 7), Is.EqualTo(Normalize("0001 67 00000005 0001 6d 0001 69 00000001 0001 74 00000001 00000000 0000000000000007 ffffffff ffff")));
        Assert.That(Encode(request, 8), Is.EqualTo(Normalize("02 67 00000005 02 6d 02 69 02 02 74 02 00000000 0000000000000007 ffffffff 00 00 00 00")));
    }

    [Test]
    public void A_group_instance_id_needs_v7()
    {
        var request = Sample();
        request.GroupInstanceId = "static";
        Assert.Throws<KafkaVersionException>(() => Encode(request, 6));
    }

    [TestCase((short)1)]
    [TestCase((short)10)]
    public void Versions_outside_2_to_9_are_not_spoken(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(Sample(), version));

    [TestCase((short)2)]
    [TestCase((short)3)]
    [TestCase((short)7)]
    [TestCase((short)8)]
    [TestCase((short)9)]
    public void Response_every_version(short version)
    {
        var flexible = version >= 8;
        var w = new Wire();
        if (version >= 3)
        {
            w.I32(4);
        }
        w.Len(1, flexible).S("t", flexible).Len(2, flexible)
            .I32(0).I16(0).Tags(flexible)
            .I32(1).I16(16).Tags(flexible)
            .Tags(flexible).Tags(flexible);
        var bytes = w.ToArray();
        var reader = new KafkaReader(bytes);
        var response = Sample().ReadResponse(ref reader, version);

        Assert.That(reader.End, Is.True);
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(version >= 3 ? 4 : 0));
        Assert.That(response.Topics.Single().Name, Is.EqualTo("t"));
        Assert.That(response.Topics.Single().Partitions, Is.EqualTo(new[]
        {
            new OffsetCommitPartitionResponse(0, KafkaErrorCode.None),
            new OffsetCommitPartitionResponse(1, KafkaErrorCode.NotCoordinator),
        }));
    }
}
