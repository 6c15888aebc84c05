using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class HeartbeatAndLeaveGroupTests
{
    private static string Encode<T>(KafkaRequest<T> request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    private static T Decode<T>(KafkaRequest<T> request, string hex, short version)
    {
        var reader = new KafkaReader(Hex.Parse(hex));
        var response = request.ReadResponse(ref reader, version);
        Assert.That(reader.Remaining, Is.Zero, "the whole body is read");
        return response;
    }

    // ---- Heartbeat ----

    // group "g", generation 5, member "m", [instance "i" from v3].
    [TestCase((short)0, "0001 67 00000005 0001 6d")]
    [TestCase((short)1, "0001 67 00000005 0001 6d")]
    [TestCase((short)2, "0001 67 00000005 0001 6d")]
    [TestCase((short)3, "0001 67 00000005 0001 6d 0001 69")]
    [TestCase((short)4, "02 67 00000005 02 6d 02 69 00")]
    public void Heartbeat_request_every_version(short version, string hex)
    {
        var request = new HeartbeatRequest { GroupId = "g", GenerationId = 5, MemberId = "m", GroupInstanceId = version >= 3 ? "i" : null };
        Assert.That(Encode(request, version), Is.EqualTo(Normalize(hex)));
    }

    [Test]
    public void Heartbeat_v3_for_a_dynamic_member_sends_a_null_instance_id() =>
        Assert.That(
            Encode(new HeartbeatRequest { GroupId = "g", GenerationId = -1, MemberId = "" }, 3),
            Is.EqualTo(Hex.Format(new Wire().Str("g").I32(-1).Str("").Str(null).ToArray())));

    [Test]
    public void Heartbeat_instance_id_before_v3_is_a_version_error() =>
        Assert.Throws<KafkaVersionException>(() => Encode(new HeartbeatRequest { GroupInstanceId = "i" }, 2));

    // [throttle 100], REBALANCE_IN_PROGRESS (27).
    [TestCase((short)0, "001b")]
    [TestCase((short)1, "00000064 001b")]
    [TestCase((short)2, "00000064 001b")]
    [TestCase((short)3, "00000064 001b")]
    [TestCase((short)4, "00000064 001b 00")]
    public void Heartbeat_response_every_version(short version, string hex) =>
        Assert.That(Decode(new HeartbeatRequest(), hex, version),
            Is.EqualTo(new HeartbeatResponse(version >= 1 ? 100 : 0, KafkaErrorCode.RebalanceInProgress)));

    [TestCase((short)5)]
    [TestCase((short)-1)]
    public void Heartbeat_versions_the_client_does_not_speak_are_refused(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new HeartbeatRequest(), version));

    [Test]
    public void A_truncated_heartbeat_response_is_a_protocol_error() =>
        Assert.Throws<KafkaProtocolException>(() => Decode(new HeartbeatRequest(), "00000064 00", 3));

    // ---- LeaveGroup ----

    private static LeaveGroupRequest Batch() => new()
    {
        GroupId = "g",
        Members = [new LeaveGroupMember("m", null, "bye"), new LeaveGroupMember("", "i")],
    };

    // v0-v2: group "g", member "m". v3+: group "g", members [m / null instance / reason "bye", "" / instance "i"];
    // the reason only from v5.
    [TestCase((short)0, "0001 67 0001 6d")]
    [TestCase((short)1, "0001 67 0001 6d")]
    [TestCase((short)2, "0001 67 0001 6d")]
    [TestCase((short)3, "0001 67 00000002 0001 6d ffff 0000 0001 69")]
    [TestCase((short)4, "02 67 03 02 6d 00 00 01 02 69 00 00")]
    [TestCase((short)5, "02 67 03 02 6d 00 04 627965 00 01 02 69 00 00 00")]
    public void LeaveGroup_request_every_version(short version, string hex)
    {
        var request = version >= 3
            ? Batch()
            : new LeaveGroupRequest { GroupId = "g", Members = [new LeaveGroupMember("m", Reason: "bye")] };
        Assert.That(Encode(request, version), Is.EqualTo(Normalize(hex)));
    }

    [Test]
    public void LeaveGroup_batches_and_instance_ids_before_v3_are_version_errors()
    {
        Assert.Throws<KafkaVersionException>(() => Encode(Batch(), 2));
        Assert.Throws<KafkaVersionException>(() =>
            Encode(new LeaveGroupRequest { GroupId = "g", Members = [new LeaveGroupMember("m", "i")] }, 1));
        Assert.Throws<KafkaVersionException>(() => Encode(new LeaveGroupRequest { GroupId = "g" }, 0));
    }

    [TestCase((short)0, "0019")]
    [TestCase((short)1, "00000064 0019")]
    [TestCase((short)2, "00000064 0019")]
    public void LeaveGroup_response_v0_to_v2(short version, string hex)
    {
        var response = Decode(new LeaveGroupRequest(), hex, version);
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(version >= 1 ? 100 : 0));
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.UnknownMemberId));
        Assert.That(response.Members, Is.Empty);
    }

    // throttle 100, no error, members [m / null / none, "" / "i" / FENCED_INSTANCE_ID (82)].
    [TestCase((short)3, "00000064 0000 00000002 0001 6d ffff 0000 0000 0001 69 0052")]
    [TestCase((short)4, "00000064 0000 03 02 6d 00 0000 00 01 02 69 0052 00 00")]
    [TestCase((short)5, "00000064 0000 03 02 6d 00 0000 00 01 02 69 0052 00 00")]
    public void LeaveGroup_response_v3_and_later_has_each_member(short version, string hex)
    {
        var response = Decode(new LeaveGroupRequest(), hex, version);
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.None));
        Assert.That(response.Members, Is.EqualTo(new[]
        {
            new LeaveGroupMemberResponse("m", null, KafkaErrorCode.None),
            new LeaveGroupMemberResponse("", "i", KafkaErrorCode.FencedInstanceId),
        }));
    }

    [Test]
    public void A_hostile_leave_member_count_is_a_protocol_error() =>
        Assert.Throws<KafkaProtocolException>(() => Decode(new LeaveGroupRequest(), "00000000 0000 00100000 0001 6d", 3));

    [TestCase((short)6)]
    public void LeaveGroup_versions_the_client_does_not_speak_are_refused(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(Batch(), version));
}
