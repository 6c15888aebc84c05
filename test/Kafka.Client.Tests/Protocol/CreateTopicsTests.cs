using Kafka.Client.Protocol;
using static Kafka.Client.Tests.Protocol.AdminCodec;

namespace Kafka.Client.Tests.Protocol;

// Vectors written from CreateTopicsRequest.json / CreateTopicsResponse.json (validVersions 2-7, flexible 5+).
public sealed class CreateTopicsTests
{
    private static CreateTopicsRequest Sample() => new()
    {
        Topics =
        [
            new CreatableTopic("a", 3, 2, [], [new("cleanup.policy", "compact"), new("x", null)]),
            new CreatableTopic("b", -1, -1, [new CreatableReplicaAssignment(0, [1, 2])], []),
        ],
        TimeoutMs = 5000,
        ValidateOnly = true,
    };

    public static IEnumerable<short> AllVersions() => Versions(KnownApis.CreateTopics);

    [TestCaseSource(nameof(AllVersions))]
    public void Request_every_version(short version)
    {
        var f = version >= 5;
        var w = new Wire().Len(2, f);
        w.S("a", f).I32(3).I16(2).Len(0, f).Len(2, f)
            .S("cleanup.policy", f).S("compact", f).Tags(f)
            .S("x", f).S(null, f).Tags(f).Tags(f);
        w.S("b", f).I32(-1).I16(-1).Len(1, f).I32(0).Len(2, f).I32(1).I32(2).Tags(f).Len(0, f).Tags(f);
        w.I32(5000).Bool(true).Tags(f);
        Assert.That(Hex.Format(Encode(Sample(), version)), Is.EqualTo(Hex.Format(w.ToArray())));
    }

    [TestCase((short)2)]
    [TestCase((short)3)]
    public void Broker_defaults_need_v4(short version)
    {
        var request = new CreateTopicsRequest { Topics = [new CreatableTopic("a", -1, 3, [], [])] };
        var error = Assert.Throws<KafkaVersionException>(() => Encode(request, version));
        Assert.That(error!.Message, Does.Contain("'a'").And.Contain("v4"));
        Assert.DoesNotThrow(() => Encode(request, 4));
    }

    [TestCase((short)1)]
    [TestCase((short)8)]
    public void Versions_outside_2_to_7_are_not_spoken(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(Sample(), version));

    internal static byte[] ResponseBody(short version)
    {
        var f = version >= 5;
        var w = new Wire().I32(7).Len(2, f);
        // "a": created.
        w.S("a", f);
        if (version >= 7)
        {
            w.Uuid("00112233-4455-6677-8899-aabbccddeeff");
        }
        w.I16(0).S(null, f);
        if (version >= 5)
        {
            w.I32(3).I16(2).Len(1, true).CStr("cleanup.policy").CStr("compact").Bool(false).I8(1).Bool(false).Tags(true);
            w.Tags(true);
        }
        // "b": already exists; from v5 its configs are null and the tagged TopicConfigErrorCode (tag 0) says why.
        w.S("b", f);
        if (version >= 7)
        {
            w.Uuid("00000000-0000-0000-0000-000000000000");
        }
        w.I16(36).S("Topic 'b' already exists.", f);
        if (version >= 5)
        {
            w.I32(-1).I16(-1).Len(-1, true);
            w.UVarInt(1).UVarInt(0).UVarInt(2).I16(29); // one tagged field: tag 0, 2 bytes, TOPIC_AUTHORIZATION_FAILED
        }
        w.Tags(f);
        return w.ToArray();
    }

    [TestCaseSource(nameof(AllVersions))]
    public void Response_every_version(short version)
    {
        var response = Decode(new CreateTopicsRequest(), version, ResponseBody(version));

        Assert.That(response.ThrottleTimeMs, Is.EqualTo(7));
        var a = response.Topics[0];
        var b = response.Topics[1];
        Assert.That((a.Name, a.ErrorCode, a.ErrorMessage), Is.EqualTo(("a", KafkaErrorCode.None, (string?)null)));
        Assert.That((b.Name, b.ErrorCode, b.ErrorMessage), Is.EqualTo(("b", KafkaErrorCode.TopicAlreadyExists, "Topic 'b' already exists.")));
        Assert.That(a.TopicId, Is.EqualTo(version >= 7 ? Guid.Parse("00112233-4455-6677-8899-aabbccddeeff") : Guid.Empty));
        if (version >= 5)
        {
            Assert.That((a.NumPartitions, a.ReplicationFactor), Is.EqualTo((3, (short)2)));
            Assert.That(a.Configs, Is.EqualTo(new[] { new CreatableTopicConfig("cleanup.policy", "compact", false, 1, false) }));
            Assert.That(b.Configs, Is.Null);
            Assert.That(b.TopicConfigErrorCode, Is.EqualTo(KafkaErrorCode.TopicAuthorizationFailed));
        }
        else
        {
            Assert.That((a.NumPartitions, a.ReplicationFactor, a.Configs), Is.EqualTo((-1, (short)-1, (IReadOnlyList<CreatableTopicConfig>?)null)));
        }
    }
}
