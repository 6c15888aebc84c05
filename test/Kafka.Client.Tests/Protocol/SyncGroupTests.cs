using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class SyncGroupTests
{
    private static SyncGroupRequest Sample(short version) => new()
    {
        GroupId = "g",
        GenerationId = 5,
        MemberId = "m",
        GroupInstanceId = version >= 3 ? "i" : null,
        ProtocolType = "consumer",
        ProtocolName = "range",
        Assignments = [new SyncGroupAssignment("m", new byte[] { 0x0a, 0x0b })],
    };

    private static string Encode(SyncGroupRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    // group "g", generation 5, member "m", [instance "i"], [type "consumer", name "range"], assignments [m: 0a 0b].
    [TestCase((short)0, "0001 67 00000005 0001 6d 00000001 0001 6d 00000002 0a0b")]
    [TestCase((short)1, "0001 67 00000005 0001 6d 00000001 0001 6d 00000002 0a0b")]
    [TestCase((short)2, "0001 67 00000005 0001 6d 00000001 0001 6d 00000002 0a0b")]
    [TestCase((short)3, "0001 67 00000005 0001 6d 0001 69 00000001 0001 6d 00000002 0a0b")]
    [TestCase((short)4, "02 67 00000005 02 6d 02 69 02 02 6d 03 0a0b 00 00")]
    [TestCase((short)5, "02 67 00000005 02 6d 02 69 09 636f6e73756d6572 06 72616e6765 02 02 6d 03 0a0b 00 00")]
    public void Request_every_version(short version, string hex) =>
        Assert.That(Encode(Sample(version), version), Is.EqualTo(Normalize(hex)));

    [Test]
    public void Request_v3_from_a_follower_has_no_assignments()
    {
        var request = new SyncGroupRequest { GroupId = "g", GenerationId = 2, MemberId = "f" };
        var expected = new Wire().Str("g").I32(2).Str("f").Str(null).I32(0).ToArray();
        Assert.That(Encode(request, 3), Is.EqualTo(Hex.Format(expected)));
    }

    [Test]
    public void A_group_instance_id_before_v3_is_a_version_error()
    {
        var error = Assert.Throws<KafkaVersionException>(() => Encode(Sample(3), 2));
        Assert.That(error!.Message, Does.Contain("v3"));
    }

    [TestCase((short)-1)]
    [TestCase((short)6)]
    public void Versions_the_client_does_not_speak_are_refused(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new SyncGroupRequest(), version));

    // ---- response ----

    private static SyncGroupResponse Decode(string hex, short version)
    {
        var reader = new KafkaReader(Hex.Parse(hex));
        var response = new SyncGroupRequest().ReadResponse(ref reader, version);
        Assert.That(reader.Remaining, Is.Zero, "the whole body is read");
        return response;
    }

    // [throttle 100], no error, [type "consumer", name "range"], assignment 0a 0b.
    [TestCase((short)0, "0000 00000002 0a0b")]
    [TestCase((short)1, "00000064 0000 00000002 0a0b")]
    [TestCase((short)2, "00000064 0000 00000002 0a0b")]
    [TestCase((short)3, "00000064 0000 00000002 0a0b")]
    [TestCase((short)4, "00000064 0000 03 0a0b 00")]
    [TestCase((short)5, "00000064 0000 09 636f6e73756d6572 06 72616e6765 03 0a0b 00")]
    public void Response_every_version(short version, string hex)
    {
        var response = Decode(hex, version);
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(version >= 1 ? 100 : 0));
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.None));
        Assert.That(response.ProtocolType, Is.EqualTo(version >= 5 ? "consumer" : null));
        Assert.That(response.ProtocolName, Is.EqualTo(version >= 5 ? "range" : null));
        Assert.That(response.Assignment, Is.EqualTo(new byte[] { 0x0a, 0x0b }));
    }

    [Test]
    public void An_error_with_null_assignment_reads_as_empty()
    {
        // REBALANCE_IN_PROGRESS (27) with null bytes, as librdkafka's mock broker writes errors.
        var response = Decode("00000000 001b ffffffff", 3);
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.RebalanceInProgress));
        Assert.That(response.Assignment, Is.Empty);
    }

    [Test]
    public void A_hostile_assignment_length_is_a_protocol_error() =>
        Assert.Throws<KafkaProtocolException>(() => Decode("00000000 0000 7fffffff 00", 3));
}
