using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

/// <summary>
/// ShareGroupHeartbeat, ShareFetch and ShareAcknowledge (KIP-932, v1) byte for byte, as Kafka's
/// ShareGroupHeartbeatRequest/Response.json, ShareFetchRequest/Response.json and ShareAcknowledgeRequest/Response.json
/// lay the fields out (all flexible: compact strings and arrays, a tagged-field section closing every struct).
/// </summary>
public sealed class ShareGroupCodecTests
{
    private const string TopicIdHex = "00112233445566778899aabbccddeeff";
    private static readonly Guid TopicId = new(Convert.FromHexString(TopicIdHex), bigEndian: true);

    private static string Encode<T>(KafkaRequest<T> request, short version = 1)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    private static T Decode<T>(KafkaRequest<T> request, string hex, short version = 1)
    {
        var reader = new KafkaReader(Hex.Parse(hex));
        var response = request.ReadResponse(ref reader, version);
        Assert.That(reader.Remaining, Is.Zero, "the whole body is read");
        return response;
    }

    // group "g", member "m", epoch 0, rack null, topics ["t"], tags.
    [Test]
    public void A_joining_heartbeat_sends_the_subscription() =>
        Assert.That(Encode(new ShareGroupHeartbeatRequest { GroupId = "g", MemberId = "m", MemberEpoch = 0, SubscribedTopicNames = ["t"] }),
            Is.EqualTo(Normalize("02 67 02 6d 00000000 00 02 02 74 00")));

    // What did not change since the last heartbeat is null: rack and topics.
    [Test]
    public void A_plain_heartbeat_sends_nulls_for_what_did_not_change() =>
        Assert.That(Encode(new ShareGroupHeartbeatRequest { GroupId = "g", MemberId = "m", MemberEpoch = 7, RackId = "r" }),
            Is.EqualTo(Normalize("02 67 02 6d 00000007 02 72 00 00")));

    [Test]
    public void A_heartbeat_answer_carries_the_member_epoch_interval_and_assignment()
    {
        // throttle 100, no error, null message, member "m", epoch 3, interval 5000,
        // assignment present: [topic id: partitions 0, 2] with tags, assignment tags, top-level tags.
        var response = Decode(new ShareGroupHeartbeatRequest(),
            "00000064 0000 00 02 6d 00000003 00001388 01 02 " + TopicIdHex + " 03 00000000 00000002 00 00 00");
        Assert.That((response.ThrottleTimeMs, response.ErrorCode, response.MemberId, response.MemberEpoch, response.HeartbeatIntervalMs),
            Is.EqualTo((100, KafkaErrorCode.None, "m", 3, 5000)));
        Assert.That(response.Assignment!.Single().TopicId, Is.EqualTo(TopicId));
        Assert.That(response.Assignment!.Single().Partitions, Is.EqualTo(new[] { 0, 2 }));
    }

    [Test]
    public void A_heartbeat_answer_without_assignment_means_unchanged()
    {
        // UNKNOWN_MEMBER_ID (25) with message "x", null member id, epoch 0, interval 5000, null assignment (-1).
        var response = Decode(new ShareGroupHeartbeatRequest(), "00000000 0019 02 78 00 00000000 00001388 ff 00");
        Assert.That((response.ErrorCode, response.ErrorMessage, response.MemberId, response.Assignment),
            Is.EqualTo((KafkaErrorCode.UnknownMemberId, "x", (string?)null, (IReadOnlyList<TopicIdPartitions>?)null)));
    }

    [Test]
    public void A_share_fetch_carries_limits_partitions_acknowledgements_and_forgotten_partitions()
    {
        var request = new ShareFetchRequest
        {
            GroupId = "g", MemberId = "m", ShareSessionEpoch = 1, MaxWaitMs = 500, MinBytes = 1, MaxBytes = int.MaxValue,
            MaxRecords = 500, BatchSize = 500,
            Topics = [new ShareTopicAcknowledgements(TopicId, [new SharePartitionAcknowledgements(0, [new ShareAcknowledgementBatch(5, 7, [1])])])],
            ForgottenTopics = [new TopicIdPartitions(TopicId, [3])],
        };
        // group, member, epoch 1, max wait 500, min bytes 1, max bytes, max records 500, batch size 500,
        // topics [id: [partition 0: acks [5..7: [accept]] tags] tags] tags, forgotten [id: [3] tags], tags.
        Assert.That(Encode(request), Is.EqualTo(Normalize(
            "02 67 02 6d 00000001 000001f4 00000001 7fffffff 000001f4 000001f4 "
            + "02 " + TopicIdHex + " 02 00000000 02 0000000000000005 0000000000000007 02 01 00 00 00 "
            + "02 " + TopicIdHex + " 02 00000003 00 00")));
    }

    [Test]
    public void An_opening_share_fetch_with_no_acknowledgements()
    {
        var request = new ShareFetchRequest
        {
            GroupId = "g", MemberId = "m", ShareSessionEpoch = 0, MaxWaitMs = 0, MinBytes = 0, MaxBytes = 1024, MaxRecords = 1, BatchSize = 1,
            Topics = [new ShareTopicAcknowledgements(TopicId, [new SharePartitionAcknowledgements(2, [])])],
        };
        Assert.That(Encode(request), Is.EqualTo(Normalize(
            "02 67 02 6d 00000000 00000000 00000000 00000400 00000001 00000001 02 " + TopicIdHex + " 02 00000002 01 00 00 01 00")));
    }

    [Test]
    public void A_share_fetch_answer_carries_the_lock_time_records_acquired_ranges_and_new_leaders()
    {
        // throttle 0, no error, null message, lock 30000 ms, responses [id: [partition 0, no error, null, no ack error,
        // null, leader -1/-1 tags, records (3 bytes), acquired [5..7 delivered twice, tags], tags] tags],
        // node endpoints [2, "h", 9092, null rack, tags], tags.
        var response = Decode(new ShareFetchRequest(),
            "00000000 0000 00 00007530 02 " + TopicIdHex + " 02 00000000 0000 00 0000 00 ffffffff ffffffff 00 04 aabbcc "
            + "02 0000000000000005 0000000000000007 0002 00 00 00 02 00000002 02 68 00002384 00 00 00");
        Assert.That(response.AcquisitionLockTimeoutMs, Is.EqualTo(30_000));
        var partition = response.Topics.Single().Partitions.Single();
        Assert.That(response.Topics.Single().TopicId, Is.EqualTo(TopicId));
        Assert.That((partition.PartitionIndex, partition.ErrorCode, partition.AcknowledgeErrorCode, partition.LeaderId), Is.EqualTo((0, KafkaErrorCode.None, KafkaErrorCode.None, -1)));
        Assert.That(partition.Records, Is.EqualTo(new byte[] { 0xaa, 0xbb, 0xcc }));
        Assert.That(partition.AcquiredRecords, Is.EqualTo(new[] { new ShareAcquiredRecords(5, 7, 2) }));
        Assert.That(response.NodeEndpoints, Is.EqualTo(new[] { new ShareNodeEndpoint(2, "h", 9092, null) }));
    }

    [Test]
    public void A_share_fetch_answer_reports_acknowledgement_errors_per_partition()
    {
        // Partition 1: NOT_LEADER_OR_FOLLOWER (6) "l", INVALID_RECORD_STATE (121) "r", leader 2 epoch 4, null records, no acquired.
        var response = Decode(new ShareFetchRequest(),
            "00000000 0000 00 00007530 02 " + TopicIdHex + " 02 00000001 0006 02 6c 0079 02 72 00000002 00000004 00 00 01 00 00 01 00");
        var partition = response.Topics.Single().Partitions.Single();
        Assert.That((partition.ErrorCode, partition.ErrorMessage, partition.AcknowledgeErrorCode, partition.AcknowledgeErrorMessage, partition.LeaderId, partition.LeaderEpoch),
            Is.EqualTo((KafkaErrorCode.NotLeaderOrFollower, "l", KafkaErrorCode.InvalidRecordState, "r", 2, 4)));
        Assert.That(partition.Records, Is.Null);
    }

    [Test]
    public void A_share_acknowledge_carries_per_offset_types()
    {
        var request = new ShareAcknowledgeRequest
        {
            GroupId = "g", MemberId = "m", ShareSessionEpoch = 2,
            Topics = [new ShareTopicAcknowledgements(TopicId, [new SharePartitionAcknowledgements(0, [new ShareAcknowledgementBatch(5, 6, [2, 3])])])],
        };
        Assert.That(Encode(request), Is.EqualTo(Normalize(
            "02 67 02 6d 00000002 02 " + TopicIdHex + " 02 00000000 02 0000000000000005 0000000000000006 03 02 03 00 00 00 00")));
    }

    [Test]
    public void A_share_acknowledge_answer_carries_each_partition_outcome()
    {
        var response = Decode(new ShareAcknowledgeRequest(),
            "00000000 0000 00 02 " + TopicIdHex + " 02 00000000 0079 02 78 ffffffff ffffffff 00 00 00 01 00");
        var partition = response.Topics.Single().Partitions.Single();
        Assert.That((partition.PartitionIndex, partition.ErrorCode, partition.ErrorMessage), Is.EqualTo((0, KafkaErrorCode.InvalidRecordState, "x")));
        Assert.That(response.NodeEndpoints, Is.Empty);
    }

    [TestCase("00000000 0000 00 00007530 ffffff7f")] // 268 million topics in a few bytes
    [TestCase("00000000 0000 00 00007530 02 " + TopicIdHex + " 02 00000000 0000 00 0000 00 ffffffff ffffffff 00 ffffff7f")] // records longer than the frame
    [TestCase("00000000 0000 00 00007530 02 " + TopicIdHex + " 02 00000000 0000 00 0000 00 ffffffff ffffffff 00 00 ffffff0f")] // acquired ranges beyond the frame
    [TestCase("00000000 0000 00 00007530 01 ffffff7f")] // endpoints beyond the frame
    public void A_hostile_share_fetch_answer_is_a_protocol_error(string hex) =>
        Assert.Throws<KafkaProtocolException>(() => Decode(new ShareFetchRequest(), hex));

    [TestCase("00000000 0000 00 00000003 00001388 01 ffffff7f")]
    [TestCase("00000000 0000 00 00000003 00001388 01 02 " + TopicIdHex + " ffffff7f")]
    public void A_hostile_heartbeat_answer_is_a_protocol_error(string hex) =>
        Assert.Throws<KafkaProtocolException>(() => Decode(new ShareGroupHeartbeatRequest(), hex));

    [Test]
    public void Only_version_1_is_written()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new ShareFetchRequest(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new ShareAcknowledgeRequest(), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new ShareGroupHeartbeatRequest(), 0));
    }
}
