using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class InitProducerIdTests
{
    private static string Encode(InitProducerIdRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    // An idempotent producer: no transactional id, timeout -1; from v3 the current id and epoch (-1 for a new one).
    [TestCase((short)0, "ffff ffffffff")]
    [TestCase((short)1, "ffff ffffffff")]
    [TestCase((short)2, "00 ffffffff 00")]
    [TestCase((short)3, "00 ffffffff ffffffffffffffff ffff 00")]
    [TestCase((short)4, "00 ffffffff ffffffffffffffff ffff 00")]
    public void Request_for_a_new_id(short version, string hex) =>
        Assert.That(Encode(new InitProducerIdRequest(), version), Is.EqualTo(Normalize(hex)));

    [TestCase((short)3, "00 ffffffff 000000000000abcd 0007 00")]
    [TestCase((short)4, "00 ffffffff 000000000000abcd 0007 00")]
    public void Request_to_bump_the_epoch(short version, string hex) =>
        Assert.That(Encode(new InitProducerIdRequest { ProducerId = 0xabcd, ProducerEpoch = 7 }, version), Is.EqualTo(Normalize(hex)));

    [Test]
    public void Request_with_a_transactional_id_v1() =>
        Assert.That(Encode(new InitProducerIdRequest { TransactionalId = "tx", TransactionTimeoutMs = 60000 }, 1),
            Is.EqualTo(Normalize("0002 7478 0000ea60")));

    [Test]
    public void Bumping_needs_v3() =>
        Assert.Throws<KafkaVersionException>(() => Encode(new InitProducerIdRequest { ProducerId = 1, ProducerEpoch = 0 }, 2));

    [TestCase((short)0, "00000000 0000 00000000000003e8 0002")]
    [TestCase((short)1, "00000000 0000 00000000000003e8 0002")]
    [TestCase((short)2, "00000000 0000 00000000000003e8 0002 00")]
    [TestCase((short)4, "00000000 0000 00000000000003e8 0002 00")]
    public void Response_every_version(short version, string hex)
    {
        var reader = new KafkaReader(Hex.Parse(hex));
        var response = new InitProducerIdRequest().ReadResponse(ref reader, version);
        Assert.That((response.ErrorCode, response.ProducerId, response.ProducerEpoch), Is.EqualTo((KafkaErrorCode.None, 1000L, (short)2)));
        Assert.That(reader.End, Is.True);
    }

    [Test]
    public void Response_with_an_error()
    {
        var reader = new KafkaReader(Hex.Parse("00000010 0035 ffffffffffffffff ffff 00"));
        var response = new InitProducerIdRequest().ReadResponse(ref reader, 3);
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(16));
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.TransactionalIdAuthorizationFailed));
        Assert.That(response.ProducerId, Is.EqualTo(-1));
    }

    [Test]
    public void Header_versions_follow_the_first_flexible_version()
    {
        Assert.That(KnownApis.InitProducerId.RequestHeaderVersion(1), Is.EqualTo(1));
        Assert.That(KnownApis.InitProducerId.RequestHeaderVersion(2), Is.EqualTo(2));
        Assert.That(KnownApis.Produce.ResponseHeaderVersion(8), Is.EqualTo(0));
        Assert.That(KnownApis.Produce.ResponseHeaderVersion(9), Is.EqualTo(1));
    }
}
