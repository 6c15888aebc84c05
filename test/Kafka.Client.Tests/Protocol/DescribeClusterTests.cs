using Kafka.Client.Protocol;
using static Kafka.Client.Tests.Protocol.AdminCodec;

namespace Kafka.Client.Tests.Protocol;

// Vectors written from DescribeClusterRequest.json / DescribeClusterResponse.json (validVersions 0-2, flexible 0+).
public sealed class DescribeClusterTests
{
    public static IEnumerable<short> AllVersions() => Versions(KnownApis.DescribeCluster);

    [TestCase((short)0, "00 00")]
    [TestCase((short)1, "00 01 00")]          // endpoint type 1 (brokers)
    [TestCase((short)2, "00 01 01 00")]       // fenced brokers included
    public void Request_every_version(short version, string hex)
    {
        var request = new DescribeClusterRequest { IncludeFencedBrokers = true };
        Assert.That(Hex.Format(Encode(request, version)), Is.EqualTo(Hex.Format(Hex.Parse(hex))));
    }

    internal static byte[] ResponseBody(short version)
    {
        var w = new Wire().I32(0).I16(0).CStr(null);
        if (version >= 1)
        {
            w.I8(1);
        }
        w.CStr("cluster-1").I32(2).Len(2, true);
        w.I32(1).CStr("b1").I32(9092).CStr("r1");
        if (version >= 2)
        {
            w.Bool(false);
        }
        w.Tags(true);
        w.I32(2).CStr("b2").I32(9093).CStr(null);
        if (version >= 2)
        {
            w.Bool(true);
        }
        w.Tags(true).I32(int.MinValue).Tags(true);
        return w.ToArray();
    }

    [TestCaseSource(nameof(AllVersions))]
    public void Response_every_version(short version)
    {
        var response = Decode(new DescribeClusterRequest(), version, ResponseBody(version));

        Assert.That((response.ErrorCode, response.ClusterId, response.ControllerId), Is.EqualTo((KafkaErrorCode.None, "cluster-1", 2)));
        Assert.That(response.Brokers, Is.EqualTo(new[]
        {
            new DescribeClusterBroker(1, "b1", 9092, "r1", false),
            new DescribeClusterBroker(2, "b2", 9093, null, version >= 2),
        }));
    }
}
