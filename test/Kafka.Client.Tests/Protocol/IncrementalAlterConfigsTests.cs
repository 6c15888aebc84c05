using Kafka.Client.Protocol;
using static Kafka.Client.Tests.Protocol.AdminCodec;

namespace Kafka.Client.Tests.Protocol;

// Vectors written from IncrementalAlterConfigsRequest.json / ...Response.json (validVersions 0-1, flexible 1+).
public sealed class IncrementalAlterConfigsTests
{
    public static IEnumerable<short> AllVersions() => Versions(KnownApis.IncrementalAlterConfigs);

    [TestCaseSource(nameof(AllVersions))]
    public void Request_every_version(short version)
    {
        var f = version >= 1;
        var w = new Wire().Len(1, f).I8(2).S("orders", f).Len(2, f)
            .S("retention.ms", f).I8(0).S("1000", f).Tags(f)
            .S("cleanup.policy", f).I8(1).S(null, f).Tags(f)
            .Tags(f).Bool(true).Tags(f);
        var request = new IncrementalAlterConfigsRequest
        {
            Resources = [new AlterConfigsResource(2, "orders", [new AlterableConfig("retention.ms", 0, "1000"), new AlterableConfig("cleanup.policy", 1, null)])],
            ValidateOnly = true,
        };
        Assert.That(Hex.Format(Encode(request, version)), Is.EqualTo(Hex.Format(w.ToArray())));
    }

    internal static byte[] ResponseBody(short version)
    {
        var f = version >= 1;
        var w = new Wire().I32(0).Len(2, f)
            .I16(0).S(null, f).I8(2).S("orders", f).Tags(f)
            .I16(40).S("Invalid value", f).I8(4).S("1", f).Tags(f)
            .Tags(f);
        return w.ToArray();
    }

    [TestCaseSource(nameof(AllVersions))]
    public void Response_every_version(short version)
    {
        var response = Decode(new IncrementalAlterConfigsRequest(), version, ResponseBody(version));
        Assert.That(response.Responses, Is.EqualTo(new[]
        {
            new AlterConfigsResourceResult(KafkaErrorCode.None, null, 2, "orders"),
            new AlterConfigsResourceResult((KafkaErrorCode)40, "Invalid value", 4, "1"),
        }));
    }
}
