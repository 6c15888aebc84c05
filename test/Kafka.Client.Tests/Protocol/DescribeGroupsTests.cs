using Kafka.Client.Protocol;
using static Kafka.Client.Tests.Protocol.AdminCodec;

namespace Kafka.Client.Tests.Protocol;

// Vectors written from DescribeGroupsRequest.json / DescribeGroupsResponse.json (validVersions 0-6, flexible 5+).
public sealed class DescribeGroupsTests
{
    public static IEnumerable<short> AllVersions() => Versions(KnownApis.DescribeGroups);

    [TestCaseSource(nameof(AllVersions))]
    public void Request_every_version(short version)
    {
        var f = version >= 5;
        var w = new Wire().Len(2, f).S("g1", f).S("g2", f);
        if (version >= 3)
        {
            w.Bool(false);
        }
        w.Tags(f);
        Assert.That(Hex.Format(Encode(new DescribeGroupsRequest { Groups = ["g1", "g2"] }, version)), Is.EqualTo(Hex.Format(w.ToArray())));
    }

    private static Wire Bytes(Wire w, byte[] value, bool compact) => (compact ? w.UVarInt((uint)value.Length + 1) : w.I32(value.Length)).Raw(value);

    internal static byte[] ResponseBody(short version)
    {
        var f = version >= 5;
        var w = new Wire();
        if (version >= 1)
        {
            w.I32(0);
        }
        w.Len(2, f);
        w.I16(0);
        if (version >= 6)
        {
            w.S(null, f);
        }
        w.S("g1", f).S("Stable", f).S("consumer", f).S("range", f).Len(1, f);
        w.S("m1", f);
        if (version >= 4)
        {
            w.S("i1", f);
        }
        w.S("c1", f).S("/127.0.0.1", f);
        Bytes(w, [0, 1], f);
        Bytes(w, [0, 2, 3], f);
        w.Tags(f);
        if (version >= 3)
        {
            w.I32(int.MinValue);
        }
        w.Tags(f);
        w.I16(69);
        if (version >= 6)
        {
            w.S("Group g2 not found.", f);
        }
        w.S("g2", f).S("Dead", f).S("", f).S("", f).Len(0, f);
        if (version >= 3)
        {
            w.I32(int.MinValue);
        }
        w.Tags(f).Tags(f);
        return w.ToArray();
    }

    [TestCaseSource(nameof(AllVersions))]
    public void Response_every_version(short version)
    {
        var response = Decode(new DescribeGroupsRequest(), version, ResponseBody(version));

        var g1 = response.Groups[0];
        Assert.That((g1.ErrorCode, g1.GroupId, g1.GroupState, g1.ProtocolType, g1.ProtocolData), Is.EqualTo((KafkaErrorCode.None, "g1", "Stable", "consumer", "range")));
        var member = g1.Members.Single();
        Assert.That((member.MemberId, member.GroupInstanceId, member.ClientId, member.ClientHost), Is.EqualTo(("m1", version >= 4 ? "i1" : null, "c1", "/127.0.0.1")));
        Assert.That(member.MemberMetadata, Is.EqualTo(new byte[] { 0, 1 }));
        Assert.That(member.MemberAssignment, Is.EqualTo(new byte[] { 0, 2, 3 }));
        var g2 = response.Groups[1];
        Assert.That((g2.ErrorCode, g2.ErrorMessage, g2.Members.Count), Is.EqualTo((KafkaErrorCode.GroupIdNotFound, version >= 6 ? "Group g2 not found." : null, 0)));
    }
}
