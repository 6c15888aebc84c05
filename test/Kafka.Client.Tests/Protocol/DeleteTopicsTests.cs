using Kafka.Client.Protocol;
using static Kafka.Client.Tests.Protocol.AdminCodec;

namespace Kafka.Client.Tests.Protocol;

// Vectors written from DeleteTopicsRequest.json / DeleteTopicsResponse.json (validVersions 1-6, flexible 4+).
public sealed class DeleteTopicsTests
{
    public static IEnumerable<short> AllVersions() => Versions(KnownApis.DeleteTopics);

    [TestCaseSource(nameof(AllVersions))]
    public void Request_every_version(short version)
    {
        var f = version >= 4;
        var w = new Wire().Len(2, f);
        foreach (var name in new[] { "a", "b" })
        {
            w.S(name, f);
            if (version >= 6)
            {
                w.Uuid("00000000000000000000000000000000").Tags(true); // by name: a zero id
            }
        }
        w.I32(1500).Tags(f);
        var request = new DeleteTopicsRequest { TopicNames = ["a", "b"], TimeoutMs = 1500 };
        Assert.That(Hex.Format(Encode(request, version)), Is.EqualTo(Hex.Format(w.ToArray())));
    }

    [TestCase((short)0)]
    [TestCase((short)7)]
    public void Versions_outside_1_to_6_are_not_spoken(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new DeleteTopicsRequest(), version));

    internal static byte[] ResponseBody(short version)
    {
        var f = version >= 4;
        var w = new Wire().I32(3).Len(2, f);
        w.S("a", f);
        if (version >= 6)
        {
            w.Uuid("0102030405060708090a0b0c0d0e0f10");
        }
        w.I16(0);
        if (version >= 5)
        {
            w.S(null, f);
        }
        w.Tags(f);
        w.S("b", f);
        if (version >= 6)
        {
            w.Uuid("00000000000000000000000000000000");
        }
        w.I16(3);
        if (version >= 5)
        {
            w.S("no such topic", f);
        }
        w.Tags(f).Tags(f);
        return w.ToArray();
    }

    [TestCaseSource(nameof(AllVersions))]
    public void Response_every_version(short version)
    {
        var response = Decode(new DeleteTopicsRequest(), version, ResponseBody(version));

        Assert.That(response.ThrottleTimeMs, Is.EqualTo(3));
        Assert.That(response.Results, Is.EqualTo(new[]
        {
            new DeletableTopicResult("a", version >= 6 ? Guid.Parse("01020304-0506-0708-090a-0b0c0d0e0f10") : Guid.Empty, KafkaErrorCode.None, null),
            new DeletableTopicResult("b", Guid.Empty, KafkaErrorCode.UnknownTopicOrPartition, version >= 5 ? "no such topic" : null),
        }));
    }

    [Test]
    public void A_v6_result_may_have_a_null_name()
    {
        var body = new Wire().I32(0).Len(1, true).CStr(null).Uuid("0102030405060708090a0b0c0d0e0f10").I16(100).CStr(null).Tags(true).Tags(true).ToArray();
        var result = Decode(new DeleteTopicsRequest(), 6, body).Results.Single();
        Assert.That((result.Name, result.ErrorCode), Is.EqualTo(((string?)null, KafkaErrorCode.UnknownTopicId)));
    }
}
