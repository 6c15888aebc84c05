using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class FindCoordinatorTests
{
    private static string Encode(FindCoordinatorRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    // "billing" = 62 69 6c 6c 69 6e 67
    [TestCase((short)0, "0007 62696c6c696e67")]
    [TestCase((short)1, "0007 62696c6c696e67 00")]
    [TestCase((short)2, "0007 62696c6c696e67 00")]
    [TestCase((short)3, "08 62696c6c696e67 00 00")]
    [TestCase((short)4, "00 02 08 62696c6c696e67 00")]
    [TestCase((short)5, "00 02 08 62696c6c696e67 00")]
    [TestCase((short)6, "00 02 08 62696c6c696e67 00")]
    public void Request_every_version(short version, string hex) =>
        Assert.That(Encode(new FindCoordinatorRequest { Keys = ["billing"] }, version), Is.EqualTo(Normalize(hex)));

    [Test]
    public void Batches_need_v4()
    {
        var request = new FindCoordinatorRequest { Keys = ["a", "b"] };
        Assert.Throws<KafkaVersionException>(() => Encode(request, 3));
        Assert.That(Encode(request, 4), Is.EqualTo(Normalize("00 03 02 61 02 62 00")));
    }

    [Test]
    public void Transaction_coordinators_need_v1()
    {
        var request = new FindCoordinatorRequest { Keys = ["tx"], KeyType = FindCoordinatorRequest.TransactionKeyType };
        Assert.Throws<KafkaVersionException>(() => Encode(request, 0));
        Assert.That(Encode(request, 1), Is.EqualTo(Normalize("0002 7478 01")));
    }

    [TestCase((short)0)]
    [TestCase((short)1)]
    [TestCase((short)2)]
    [TestCase((short)3)]
    public void Response_single_key_versions(short version)
    {
        var flexible = version >= 3;
        var w = new Wire();
        if (version >= 1)
        {
            w.I32(5);
        }
        w.I16(15);
        if (version >= 1)
        {
            w.S("loading", flexible);
        }
        w.I32(2).S("broker2", flexible).I32(9093).Tags(flexible);
        var bytes = w.ToArray();
        var reader = new KafkaReader(bytes);
        var response = new FindCoordinatorRequest { Keys = ["g"] }.ReadResponse(ref reader, version);

        Assert.That(reader.End, Is.True);
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(version >= 1 ? 5 : 0));
        Assert.That(response.Coordinators, Is.EqualTo(new[]
        {
            new FindCoordinatorResult("g", KafkaErrorCode.CoordinatorNotAvailable, version >= 1 ? "loading" : null, 2, "broker2", 9093),
        }));
    }

    [TestCase((short)4)]
    [TestCase((short)6)]
    public void Response_batched_versions(short version)
    {
        var bytes = new Wire().I32(0).Len(2, true)
            .CStr("a").I32(1).CStr("h1").I32(9092).I16(0).CStr(null).Tags(true)
            .CStr("b").I32(-1).CStr("").I32(-1).I16(15).CStr("not yet").Tags(true)
            .Tags(true).ToArray();
        var reader = new KafkaReader(bytes);
        var response = new FindCoordinatorRequest { Keys = ["a", "b"] }.ReadResponse(ref reader, version);

        Assert.That(reader.End, Is.True);
        Assert.That(response.Coordinators, Is.EqualTo(new[]
        {
            new FindCoordinatorResult("a", KafkaErrorCode.None, null, 1, "h1", 9092),
            new FindCoordinatorResult("b", KafkaErrorCode.CoordinatorNotAvailable, "not yet", -1, "", -1),
        }));
    }
}
