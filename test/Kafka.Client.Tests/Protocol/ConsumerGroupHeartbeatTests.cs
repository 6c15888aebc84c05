using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

/// <summary>ConsumerGroupHeartbeat (KIP-848) byte for byte, as Kafka's ConsumerGroupHeartbeatRequest/Response.json lay the fields out.</summary>
public sealed class ConsumerGroupHeartbeatTests
{
    private static readonly Guid TopicId = new(Convert.FromHexString("00112233445566778899aabbccddeeff"), bigEndian: true);
    private const string TopicIdHex = "00112233445566778899aabbccddeeff";

    private static string Encode(ConsumerGroupHeartbeatRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    private static ConsumerGroupHeartbeatResponse Decode(string hex, short version)
    {
        var reader = new KafkaReader(Hex.Parse(hex));
        var response = new ConsumerGroupHeartbeatRequest().ReadResponse(ref reader, version);
        Assert.That(reader.Remaining, Is.Zero, "the whole body is read");
        return response;
    }

    private static ConsumerGroupHeartbeatRequest Join() => new()
    {
        GroupId = "g",
        MemberId = "m",
        MemberEpoch = 5,
        InstanceId = "i",
        RebalanceTimeoutMs = 1000,
        SubscribedTopicNames = ["t"],
        SubscribedTopicRegex = "r",
        ServerAssignor = "uniform",
        TopicPartitions = [new TopicIdPartitions(TopicId, [0, 1])],
    };

    // group "g", member "m", epoch 5, instance "i", rack null, rebalance timeout 1000, names ["t"], [v1: regex "r"],
    // assignor "uniform", owned [topic id: 0, 1], tags.
    [TestCase((short)1, "02 67 02 6d 00000005 02 69 00 000003e8 02 02 74 02 72 08 756e69666f726d 02 " + TopicIdHex + " 03 00000000 00000001 00 00")]
    public void A_full_heartbeat_writes_every_field(short version, string hex) =>
        Assert.That(Encode(Join(), version), Is.EqualTo(Normalize(hex)));

    [Test]
    public void Version_0_has_no_regex_field()
    {
        var request = Join();
        request.SubscribedTopicRegex = null;
        Assert.That(Encode(request, 0),
            Is.EqualTo(Normalize("02 67 02 6d 00000005 02 69 00 000003e8 02 02 74 08 756e69666f726d 02 " + TopicIdHex + " 03 00000000 00000001 00 00")));
    }

    // The fields that did not change since the last heartbeat are null (-1 for the rebalance timeout).
    [TestCase((short)0, "02 67 02 6d 00000007 00 00 ffffffff 00 00 00 00")]
    [TestCase((short)1, "02 67 02 6d 00000007 00 00 ffffffff 00 00 00 00 00")]
    public void A_plain_heartbeat_sends_nulls_for_what_did_not_change(short version, string hex) =>
        Assert.That(Encode(new ConsumerGroupHeartbeatRequest { GroupId = "g", MemberId = "m", MemberEpoch = 7 }, version), Is.EqualTo(Normalize(hex)));

    [Test]
    public void Leaving_sends_epoch_minus_one_and_a_static_member_minus_two()
    {
        Assert.That(Encode(new ConsumerGroupHeartbeatRequest { GroupId = "g", MemberId = "m", MemberEpoch = ConsumerGroupHeartbeatRequest.LeaveEpoch }, 1),
            Is.EqualTo(Normalize("02 67 02 6d ffffffff 00 00 ffffffff 00 00 00 00 00")));
        Assert.That(Encode(new ConsumerGroupHeartbeatRequest
            {
                GroupId = "g", MemberId = "m", MemberEpoch = ConsumerGroupHeartbeatRequest.StaticLeaveEpoch, InstanceId = "i",
            }, 1),
            Is.EqualTo(Normalize("02 67 02 6d fffffffe 02 69 00 ffffffff 00 00 00 00 00")));
    }

    [Test]
    public void A_regex_at_version_0_is_a_version_error() =>
        Assert.Throws<KafkaVersionException>(() => Encode(Join(), 0));

    // throttle 100, no error, null message, member "m", epoch 3, interval 5000, assignment [topic id: 2], tags.
    [TestCase((short)0)]
    [TestCase((short)1)]
    public void A_response_with_an_assignment(short version)
    {
        var response = Decode("00000064 0000 00 02 6d 00000003 00001388 01 02 " + TopicIdHex + " 02 00000002 00 00 00", version);
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(100));
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.None));
        Assert.That(response.ErrorMessage, Is.Null);
        Assert.That(response.MemberId, Is.EqualTo("m"));
        Assert.That(response.MemberEpoch, Is.EqualTo(3));
        Assert.That(response.HeartbeatIntervalMs, Is.EqualTo(5000));
        Assert.That(response.Assignment, Has.Count.EqualTo(1));
        Assert.That(response.Assignment![0].TopicId, Is.EqualTo(TopicId));
        Assert.That(response.Assignment[0].Partitions, Is.EqualTo(new[] { 2 }));
    }

    // FENCED_MEMBER_EPOCH (110) with a message "x", null member id, epoch -1, interval 0, no assignment.
    [Test]
    public void An_error_response_without_an_assignment()
    {
        var response = Decode("00000000 006e 02 78 00 ffffffff 00000000 ff 00", 1);
        Assert.That(response.ErrorCode, Is.EqualTo(KafkaErrorCode.FencedMemberEpoch));
        Assert.That(response.ErrorMessage, Is.EqualTo("x"));
        Assert.That(response.MemberId, Is.Null);
        Assert.That(response.MemberEpoch, Is.EqualTo(-1));
        Assert.That(response.Assignment, Is.Null);
    }

    [Test]
    public void A_truncated_response_is_a_protocol_error() =>
        Assert.Throws<KafkaProtocolException>(() => Decode("00000064 0000 00 02 6d 00000003", 1));

    [Test]
    public void An_assignment_count_larger_than_the_frame_is_a_protocol_error() =>
        Assert.Throws<KafkaProtocolException>(() => Decode("00000064 0000 00 02 6d 00000003 00001388 01 ffffff0f", 1));

    [TestCase((short)2)]
    [TestCase((short)-1)]
    public void Versions_the_client_does_not_speak_are_refused(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new ConsumerGroupHeartbeatRequest(), version));
}
