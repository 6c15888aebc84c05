using Kafka.Client.Protocol;
using static Kafka.Client.Tests.Protocol.AdminCodec;

namespace Kafka.Client.Tests.Protocol;

// Vectors written from ListGroupsRequest.json / ListGroupsResponse.json (validVersions 0-5, flexible 3+).
public sealed class ListGroupsTests
{
    public static IEnumerable<short> AllVersions() => Versions(KnownApis.ListGroups);

    [TestCase((short)0, "")]
    [TestCase((short)2, "")]
    [TestCase((short)3, "00")]
    [TestCase((short)4, "02 07 53 74 61 62 6c 65 00")]            // states ["Stable"]
    [TestCase((short)5, "02 07 53 74 61 62 6c 65 02 08 63 6c 61 73 73 69 63 00")] // types ["classic"]
    public void Request_every_version(short version, string hex)
    {
        var request = new ListGroupsRequest { StatesFilter = version >= 4 ? ["Stable"] : [], TypesFilter = version >= 5 ? ["classic"] : [] };
        Assert.That(Hex.Format(Encode(request, version)), Is.EqualTo(Hex.Format(Hex.Parse(hex))));
    }

    [Test]
    public void Filters_need_their_versions()
    {
        Assert.Throws<KafkaVersionException>(() => Encode(new ListGroupsRequest { StatesFilter = ["Empty"] }, 3));
        Assert.Throws<KafkaVersionException>(() => Encode(new ListGroupsRequest { TypesFilter = ["consumer"] }, 4));
    }

    internal static byte[] ResponseBody(short version)
    {
        var f = version >= 3;
        var w = new Wire();
        if (version >= 1)
        {
            w.I32(0);
        }
        w.I16(0).Len(2, f);
        foreach (var (id, type, state, groupType) in new[] { ("g1", "consumer", "Stable", "classic"), ("g2", "", "Empty", "consumer") })
        {
            w.S(id, f).S(type, f);
            if (version >= 4)
            {
                w.S(state, f);
            }
            if (version >= 5)
            {
                w.S(groupType, f);
            }
            w.Tags(f);
        }
        w.Tags(f);
        return w.ToArray();
    }

    [TestCaseSource(nameof(AllVersions))]
    public void Response_every_version(short version)
    {
        var response = Decode(new ListGroupsRequest(), version, ResponseBody(version));
        Assert.That(response.Groups, Is.EqualTo(new[]
        {
            new ListedGroup("g1", "consumer", version >= 4 ? "Stable" : null, version >= 5 ? "classic" : null),
            new ListedGroup("g2", "", version >= 4 ? "Empty" : null, version >= 5 ? "consumer" : null),
        }));
    }
}
