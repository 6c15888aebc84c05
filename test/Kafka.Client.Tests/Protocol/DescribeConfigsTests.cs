using Kafka.Client.Protocol;
using static Kafka.Client.Tests.Protocol.AdminCodec;

namespace Kafka.Client.Tests.Protocol;

// Vectors written from DescribeConfigsRequest.json / DescribeConfigsResponse.json (validVersions 1-4, flexible 4+).
public sealed class DescribeConfigsTests
{
    public static IEnumerable<short> AllVersions() => Versions(KnownApis.DescribeConfigs);

    [TestCaseSource(nameof(AllVersions))]
    public void Request_every_version(short version)
    {
        var f = version >= 4;
        var w = new Wire().Len(2, f);
        w.I8(2).S("orders", f).Len(-1, f).Tags(f);
        w.I8(4).S("1", f).Len(1, f).S("log.retention.ms", f).Tags(f);
        w.Bool(true);
        if (version >= 3)
        {
            w.Bool(false);
        }
        w.Tags(f);
        var request = new DescribeConfigsRequest
        {
            Resources = [new DescribeConfigsResource(2, "orders", null), new DescribeConfigsResource(4, "1", ["log.retention.ms"])],
            IncludeSynonyms = true,
        };
        Assert.That(Hex.Format(Encode(request, version)), Is.EqualTo(Hex.Format(w.ToArray())));
    }

    [TestCase((short)0)]
    [TestCase((short)5)]
    public void Versions_outside_1_to_4_are_not_spoken(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new DescribeConfigsRequest(), version));

    internal static byte[] ResponseBody(short version)
    {
        var f = version >= 4;
        var w = new Wire().I32(0).Len(2, f);
        w.I16(0).S(null, f).I8(2).S("orders", f).Len(1, f);
        w.S("retention.ms", f).S("1000", f).Bool(false).I8(1).Bool(false);
        w.Len(2, f).S("retention.ms", f).S("1000", f).I8(1).Tags(f).S("log.retention.ms", f).S(null, f).I8(5).Tags(f);
        if (version >= 3)
        {
            w.I8(5).S("How long to keep a log.", f);
        }
        w.Tags(f).Tags(f);
        w.I16(29).S("Not authorized.", f).I8(2).S("secret", f).Len(0, f).Tags(f);
        w.Tags(f);
        return w.ToArray();
    }

    [TestCaseSource(nameof(AllVersions))]
    public void Response_every_version(short version)
    {
        var response = Decode(new DescribeConfigsRequest(), version, ResponseBody(version));

        var orders = response.Results[0];
        Assert.That((orders.ErrorCode, orders.ResourceType, orders.ResourceName), Is.EqualTo((KafkaErrorCode.None, (sbyte)2, "orders")));
        var entry = orders.Configs.Single();
        Assert.That((entry.Name, entry.Value, entry.ReadOnly, entry.ConfigSource, entry.IsSensitive), Is.EqualTo(("retention.ms", (string?)"1000", false, (sbyte)1, false)));
        Assert.That(entry.Synonyms, Is.EqualTo(new[] { new DescribeConfigsSynonym("retention.ms", "1000", 1), new DescribeConfigsSynonym("log.retention.ms", null, 5) }));
        Assert.That((entry.ConfigType, entry.Documentation), Is.EqualTo(version >= 3 ? ((sbyte)5, "How long to keep a log.") : ((sbyte)0, (string?)null)));
        Assert.That((response.Results[1].ErrorCode, response.Results[1].ErrorMessage), Is.EqualTo((KafkaErrorCode.TopicAuthorizationFailed, "Not authorized.")));
    }
}
