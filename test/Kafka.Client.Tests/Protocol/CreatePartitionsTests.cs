using Kafka.Client.Protocol;
using static Kafka.Client.Tests.Protocol.AdminCodec;

namespace Kafka.Client.Tests.Protocol;

// Vectors written from CreatePartitionsRequest.json / CreatePartitionsResponse.json (validVersions 0-3, flexible 2+).
public sealed class CreatePartitionsTests
{
    public static IEnumerable<short> AllVersions() => Versions(KnownApis.CreatePartitions);

    [TestCaseSource(nameof(AllVersions))]
    public void Request_every_version(short version)
    {
        var f = version >= 2;
        var w = new Wire().Len(2, f);
        w.S("a", f).I32(6).Len(-1, f).Tags(f);
        w.S("b", f).I32(3).Len(1, f).Len(2, f).I32(2).I32(1).Tags(f).Tags(f);
        w.I32(2000).Bool(false).Tags(f);
        var request = new CreatePartitionsRequest
        {
            Topics = [new CreatePartitionsTopic("a", 6, null), new CreatePartitionsTopic("b", 3, [[2, 1]])],
            TimeoutMs = 2000,
        };
        Assert.That(Hex.Format(Encode(request, version)), Is.EqualTo(Hex.Format(w.ToArray())));
    }

    internal static byte[] ResponseBody(short version)
    {
        var f = version >= 2;
        var w = new Wire().I32(0).Len(2, f)
            .S("a", f).I16(0).S(null, f).Tags(f)
            .S("b", f).I16(37).S("Topic already has 3 partitions.", f).Tags(f)
            .Tags(f);
        return w.ToArray();
    }

    [TestCaseSource(nameof(AllVersions))]
    public void Response_every_version(short version)
    {
        var response = Decode(new CreatePartitionsRequest(), version, ResponseBody(version));
        Assert.That(response.Results, Is.EqualTo(new[]
        {
            new CreatePartitionsTopicResult("a", KafkaErrorCode.None, null),
            new CreatePartitionsTopicResult("b", KafkaErrorCode.InvalidPartitions, "Topic already has 3 partitions."),
        }));
    }
}
