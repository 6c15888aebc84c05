using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class JoinGroupTests
{
    private static JoinGroupRequest Sample(short version) => new()
    {
        GroupId = "g",
        SessionTimeoutMs = 6000,
        RebalanceTimeoutMs = 30000,
        MemberId = "m",
        GroupInstanceId = version >= 5 ? "i" : null,
        ProtocolType = "consumer",
        Protocols = [new JoinGroupProtocol("range", new byte[] { 1, 2 })],
        Reason = "r",
    };

    private static string Encode(JoinGroupRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    // group "g", session 6000, rebalance 30000, member "m", [instance "i"], type "consumer", protocols [range: 01 02],
    // [reason "r"]. Compact strings and arrays and tagged fields from v6; the reason from v8.
    [TestCase((short)2, "0001 67 00001770 00007530 0001 6d 0008 636f6e73756d6572 00000001 0005 72616e6765 00000002 0102")]
    [TestCase((short)3, "0001 67 00001770 00007530 0001 6d 0008 636f6e73756d6572 00000001 0005 72616e6765 00000002 0102")]
    [TestCase((short)4, "0001 67 00001770 00007530 0001 6d 0008 636f6e73756d6572 00000001 0005 72616e6765 00000002 0102")]
    [TestCase((short)5, "0001 67 00001770 00007530 0001 6d 0001 69 0008 636f6e73756d6572 00000001 0005 72616e6765 00000002 0102")]
    [TestCase((short)6, "02 67 00001770 00007530 02 6d 02 69 09 636f6e73756d6572 02 06 72616e6765 03 0102 00 00")]
    [TestCase((short)7, "02 67 00001770 00007530 02 6d 02 69 09 636f6e73756d6572 02 06 72616e6765 03 0102 00 00")]
    [TestCase((short)8, "02 67 00001770 00007530 02 6d 02 69 09 636f6e73756d6572 02 06 72616e6765 03 0102 00 02 72 00")]
    [TestCase((short)9, "02 67 00001770 00007530 02 6d 02 69 09 636f6e73756d6572 02 06 72616e6765 03 0102 00 02 72 00")]
    public void Request_every_version(short version, string hex) =>
        Assert.That(Encode(Sample(version), version), Is.EqualTo(Normalize(hex)));

    [Test]
    public void Request_v5_first_join_with_two_protocols_and_no_instance_id()
    {
        var request = new JoinGroupRequest
        {
            GroupId = "g",
            SessionTimeoutMs = 45000,
            RebalanceTimeoutMs = 300000,
            ProtocolType = "consumer",
            Protocols = [new JoinGroupProtocol("range", new byte[] { 9 }), new JoinGroupProtocol("roundrobin", ReadOnlyMemory<byte>.Empty)],
        };
        var expected = new Wire()
            .Str("g").I32(45000).I32(300000).Str("").Str(null).Str("consumer")
            .I32(2).Str("range").I32(1).U8(9).Str("roundrobin").I32(0)
            .ToArray();
        Assert.That(Encode(request, 5), Is.EqualTo(Hex.Format(expected)));
    }

    [TestCase((short)2)]
    [TestCase((short)4)]
    public void A_group_instance_id_before_v5_is_a_version_error(short version)
    {
        var request = Sample(5);
        var error = Assert.Throws<KafkaVersionException>(() => Encode(request, version));
        Assert.That(error!.Message, Does.Contain("v5"));
    }

    [TestCase((short)0)]
    [TestCase((short)1)] // removed in Kafka 4.0; the client starts at v2
    [TestCase((short)10)]
    public void Versions_the_client_does_not_speak_are_refused(short version)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new JoinGroupRequest(), version));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var reader = new KafkaReader(new byte[32]);
            new JoinGroupRequest().ReadResponse(ref reader, version);
        });
    }

    [TestCase("0.10.2", -1)] // JoinGroup v0-v1 only: below the client's floor
    [TestCase("0.11.0", 2)]
    [TestCase("2.3", 5)]
    [TestCase("2.4", 6)]
    [TestCase("4.0", 9)]
    public void Releases_cap_the_group_apis(string release, int joinGroup)
    {
        var table = BrokerRelease.Parse(release)!.ToApiVersionTable();
        Assert.That(table.TryNegotiate(KnownApis.JoinGroup, out var version) ? version : -1, Is.EqualTo(joinGroup));
        // The other group APIs have v0 in every release the client speaks to.
        Assert.That(table.TryNegotiate(KnownApis.SyncGroup, out _), Is.True);
        Assert.That(table.TryNegotiate(KnownApis.Heartbeat, out _), Is.True);
        Assert.That(table.TryNegotiate(KnownApis.LeaveGroup, out _), Is.True);
    }

    // ---- response ----

    internal static byte[] ResponseBody(short version)
    {
        var flexible = version >= 6;
        var w = new Wire().I32(12).I16(0).I32(7);
        if (version >= 7)
        {
            w.S("consumer", flexible);
        }
        w.S("range", flexible).S("m1", flexible);
        if (version >= 9)
        {
            w.Bool(true);
        }
        w.S("m1", flexible).Len(2, flexible);
        w.S("m1", flexible);
        if (version >= 5)
        {
            w.S("i1", flexible);
        }
        w.Len(2, flexible).Raw(0xAA, 0xBB).Tags(flexible);
        w.S("m2", flexible);
        if (version >= 5)
        {
            w.S(null, flexible);
        }
        w.Len(0, flexible).Tags(flexible);
        return w.Tags(flexible).ToArray();
    }

    private static JoinGroupResponse Decode(byte[] body, short version)
    {
        var reader = new KafkaReader(body);
        var response = new JoinGroupRequest().ReadResponse(ref reader, version);
        Assert.That(reader.Remaining, Is.Zero, "the whole body is read");
        return response;
    }

    [TestCase((short)2)]
    [TestCase((short)3)]
    [TestCase((short)4)]
    [TestCase((short)5)]
    [TestCase((short)6)]
    [TestCase((short)7)]
    [TestCase((short)8)]
    [TestCase((short)9)]
    public void Response_decodes_every_field(short version)
    {
        var response = Decode(ResponseBody(version), version);
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(12));
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.None));
        Assert.That(response.GenerationId, Is.EqualTo(7));
        Assert.That(response.ProtocolType, Is.EqualTo(version >= 7 ? "consumer" : null));
        Assert.That(response.ProtocolName, Is.EqualTo("range"));
        Assert.That(response.Leader, Is.EqualTo("m1"));
        Assert.That(response.SkipAssignment, Is.EqualTo(version >= 9));
        Assert.That(response.MemberId, Is.EqualTo("m1"));
        Assert.That(response.Members, Has.Count.EqualTo(2));
        Assert.That(response.Members[0].MemberId, Is.EqualTo("m1"));
        Assert.That(response.Members[0].GroupInstanceId, Is.EqualTo(version >= 5 ? "i1" : null));
        Assert.That(response.Members[0].Metadata, Is.EqualTo(new byte[] { 0xAA, 0xBB }));
        Assert.That(response.Members[1].MemberId, Is.EqualTo("m2"));
        Assert.That(response.Members[1].GroupInstanceId, Is.Null);
        Assert.That(response.Members[1].Metadata, Is.Empty);
    }

    [Test]
    public void Response_v5_fixed_vector_for_a_follower()
    {
        // throttle 0, no error, generation 3, protocol "range", leader "a", member "b", no members.
        var response = Decode(Hex.Parse("00000000 0000 00000003 0005 72616e6765 0001 61 0001 62 00000000"), 5);
        Assert.That((response.GenerationId, response.ProtocolName, response.Leader, response.MemberId), Is.EqualTo((3, "range", "a", "b")));
        Assert.That(response.Members, Is.Empty);
    }

    [Test]
    public void Response_v4_member_id_required()
    {
        // MEMBER_ID_REQUIRED (79) with the id to join again with; generation -1, empty protocol and leader.
        var response = Decode(Hex.Parse("00000000 004f ffffffff 0000 0000 0005 6d2d313233 00000000"), 4);
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.MemberIdRequired));
        Assert.That(response.MemberId, Is.EqualTo("m-123"));
        Assert.That(response.GenerationId, Is.EqualTo(-1));
    }

    [Test]
    public void An_error_response_with_null_strings_reads_them_as_empty()
    {
        // NOT_COORDINATOR (16) with null protocol, leader and member id, as librdkafka's mock broker writes errors.
        var response = Decode(Hex.Parse("00000000 0010 ffffffff ffff ffff ffff 00000000"), 5);
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.NotCoordinator));
        Assert.That((response.ProtocolName, response.Leader, response.MemberId), Is.EqualTo(((string?)null, "", "")));
    }

    [Test]
    public void A_hostile_member_count_is_a_protocol_error() =>
        Assert.Throws<KafkaProtocolException>(() => Decode(Hex.Parse("00000000 0000 00000001 0001 72 0001 61 0001 61 00100000 0001 61"), 5));

    [Test]
    public void A_truncated_response_is_a_protocol_error()
    {
        foreach (var version in new short[] { 5, 9 })
        {
            var body = ResponseBody(version);
            for (var length = 0; length < body.Length; length++)
            {
                var truncated = body[..length];
                Assert.Throws<KafkaProtocolException>(() => Decode(truncated, version), $"v{version} cut at {length}");
            }
        }
    }
}
