using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class MetadataTests
{
    private const string Z = "00000000000000000000000000000000"; // a zero topic id

    private static string Encode(MetadataRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    // ---- request: topics ["a", "bc"], auto-creation allowed ----

    [TestCase((short)0, "00000002 0001 61 0002 6263")]
    [TestCase((short)1, "00000002 0001 61 0002 6263")]
    [TestCase((short)2, "00000002 0001 61 0002 6263")]
    [TestCase((short)3, "00000002 0001 61 0002 6263")]
    [TestCase((short)4, "00000002 0001 61 0002 6263 01")]
    [TestCase((short)5, "00000002 0001 61 0002 6263 01")]
    [TestCase((short)6, "00000002 0001 61 0002 6263 01")]
    [TestCase((short)7, "00000002 0001 61 0002 6263 01")]
    [TestCase((short)8, "00000002 0001 61 0002 6263 01 00 00")]
    [TestCase((short)9, "03 02 61 00 03 6263 00 01 00 00 00")]
    [TestCase((short)10, "03 " + Z + " 02 61 00 " + Z + " 03 6263 00 01 00 00 00")]
    [TestCase((short)11, "03 " + Z + " 02 61 00 " + Z + " 03 6263 00 01 00 00")]
    [TestCase((short)12, "03 " + Z + " 02 61 00 " + Z + " 03 6263 00 01 00 00")]
    public void Request_with_topics(short version, string hex) =>
        Assert.That(Encode(new MetadataRequest { Topics = ["a", "bc"] }, version), Is.EqualTo(Normalize(hex)));

    // ---- request: all topics ----

    [TestCase((short)0, "00000000")] // v0 has no null array: empty means all
    [TestCase((short)1, "ffffffff")]
    [TestCase((short)2, "ffffffff")]
    [TestCase((short)3, "ffffffff")]
    [TestCase((short)4, "ffffffff 01")]
    [TestCase((short)5, "ffffffff 01")]
    [TestCase((short)6, "ffffffff 01")]
    [TestCase((short)7, "ffffffff 01")]
    [TestCase((short)8, "ffffffff 01 00 00")]
    [TestCase((short)9, "00 01 00 00 00")]
    [TestCase((short)10, "00 01 00 00 00")]
    [TestCase((short)11, "00 01 00 00")]
    [TestCase((short)12, "00 01 00 00")]
    public void Request_for_all_topics(short version, string hex) =>
        Assert.That(Encode(new MetadataRequest { Topics = null }, version), Is.EqualTo(Normalize(hex)));

    [Test]
    public void Request_for_no_topics_sends_an_empty_array()
    {
        Assert.That(Encode(new MetadataRequest { Topics = [] }, 1), Is.EqualTo(Normalize("00000000")));
        Assert.That(Encode(new MetadataRequest { Topics = [], AllowAutoTopicCreation = false }, 9), Is.EqualTo(Normalize("01 00 00 00 00")));
    }

    [Test]
    public void Request_v4_carries_a_refusal_of_auto_creation() =>
        Assert.That(
            Encode(new MetadataRequest { Topics = ["a"], AllowAutoTopicCreation = false }, 4),
            Is.EqualTo(Normalize("00000001 0001 61 00")));

    [TestCase((short)0)]
    [TestCase((short)3)]
    public void Refusing_auto_creation_before_v4_is_a_version_error(short version)
    {
        var error = Assert.Throws<KafkaVersionException>(() => Encode(new MetadataRequest { AllowAutoTopicCreation = false }, version));
        Assert.That(error!.Message, Does.Contain("AllowAutoTopicCreation"));
    }

    [Test]
    public void Request_fixed_vector_v1_from_the_spec()
    {
        // Metadata v1 for topic "test": int32 count 1, int16 length 4, "test".
        Assert.That(Encode(new MetadataRequest { Topics = ["test"] }, 1), Is.EqualTo(Normalize("00 00 00 01 00 04 74 65 73 74")));
    }

    [TestCase((short)-1)]
    [TestCase((short)13)]
    public void Versions_the_client_does_not_speak_are_refused(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new MetadataRequest(), version));

    // ---- response ----

    private static readonly Guid TopicId = Guid.Parse("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");

    // Writes a response with every field set, the way a broker at `version` would.
    internal static byte[] ResponseBody(short version)
    {
        var flexible = version >= 9;
        using var w = new KafkaWriter();
        if (version >= 3)
        {
            w.WriteInt32(120);
        }
        w.WriteArrayLength(2, flexible);
        WriteBroker(w, version, flexible, 1, "b1.example", 9092, "rack-a");
        WriteBroker(w, version, flexible, 2, "b2.example", 9093, null);
        if (version >= 2)
        {
            w.WriteNullableString("cluster-x", flexible);
        }
        if (version >= 1)
        {
            w.WriteInt32(2);
        }
        w.WriteArrayLength(2, flexible);

        // Topic "orders": no error, two partitions.
        w.WriteInt16(0);
        w.WriteString("orders", flexible);
        if (version >= 10)
        {
            w.WriteUuid(TopicId);
        }
        if (version >= 1)
        {
            w.WriteBoolean(false);
        }
        w.WriteArrayLength(2, flexible);
        WritePartition(w, version, flexible, 0, 0, 1, 7, [1, 2], [1, 2], []);
        WritePartition(w, version, flexible, 5, 1, -1, 8, [2, 1], [2], [1]);
        if (version >= 8)
        {
            w.WriteInt32(int.MinValue);
        }
        if (flexible)
        {
            w.WriteEmptyTaggedFields();
        }

        // Topic "__consumer_offsets": internal, error 3, no partitions.
        w.WriteInt16(3);
        w.WriteString("__consumer_offsets", flexible);
        if (version >= 10)
        {
            w.WriteUuid(Guid.Empty);
        }
        if (version >= 1)
        {
            w.WriteBoolean(true);
        }
        w.WriteArrayLength(0, flexible);
        if (version >= 8)
        {
            w.WriteInt32(int.MinValue);
        }
        if (flexible)
        {
            w.WriteEmptyTaggedFields();
        }

        if (version is >= 8 and <= 10)
        {
            w.WriteInt32(int.MinValue);
        }
        if (flexible)
        {
            w.WriteEmptyTaggedFields();
        }
        return w.WrittenSpan.ToArray();
    }

    private static void WriteBroker(KafkaWriter w, short version, bool flexible, int id, string host, int port, string? rack)
    {
        w.WriteInt32(id);
        w.WriteString(host, flexible);
        w.WriteInt32(port);
        if (version >= 1)
        {
            w.WriteNullableString(rack, flexible);
        }
        if (flexible)
        {
            // A tagged field from a newer broker, to be skipped.
            w.WriteUnsignedVarInt(1);
            w.WriteUnsignedVarInt(9);
            w.WriteUnsignedVarInt(2);
            w.WriteInt16(0x7777);
        }
    }

    private static void WritePartition(
        KafkaWriter w, short version, bool flexible, short error, int index, int leader, int epoch, int[] replicas, int[] isr, int[] offline)
    {
        w.WriteInt16(error);
        w.WriteInt32(index);
        w.WriteInt32(leader);
        if (version >= 7)
        {
            w.WriteInt32(epoch);
        }
        WriteInts(w, replicas, flexible);
        WriteInts(w, isr, flexible);
        if (version >= 5)
        {
            WriteInts(w, offline, flexible);
        }
        if (flexible)
        {
            w.WriteEmptyTaggedFields();
        }
    }

    private static void WriteInts(KafkaWriter w, int[] values, bool flexible)
    {
        w.WriteArrayLength(values.Length, flexible);
        foreach (var v in values)
        {
            w.WriteInt32(v);
        }
    }

    private static MetadataResponse Decode(byte[] body, short version)
    {
        var reader = new KafkaReader(body);
        var response = new MetadataRequest().ReadResponse(ref reader, version);
        Assert.That(reader.Remaining, Is.Zero, "the whole body is read");
        return response;
    }

    [TestCase((short)0)]
    [TestCase((short)1)]
    [TestCase((short)2)]
    [TestCase((short)3)]
    [TestCase((short)4)]
    [TestCase((short)5)]
    [TestCase((short)6)]
    [TestCase((short)7)]
    [TestCase((short)8)]
    [TestCase((short)9)]
    [TestCase((short)10)]
    [TestCase((short)11)]
    [TestCase((short)12)]
    public void Response_decodes_every_field(short version)
    {
        var response = Decode(ResponseBody(version), version);

        Assert.That(response.ThrottleTimeMs, Is.EqualTo(version >= 3 ? 120 : 0));
        Assert.That(response.Brokers, Is.EqualTo(new[]
        {
            new MetadataBroker(1, "b1.example", 9092, version >= 1 ? "rack-a" : null),
            new MetadataBroker(2, "b2.example", 9093, null),
        }));
        Assert.That(response.ClusterId, Is.EqualTo(version >= 2 ? "cluster-x" : null));
        Assert.That(response.ControllerId, Is.EqualTo(version >= 1 ? 2 : -1));
        Assert.That(response.Topics, Has.Count.EqualTo(2));

        var orders = response.Topics[0];
        Assert.That(orders.ErrorCode, Is.EqualTo(KafkaErrorCode.None));
        Assert.That(orders.Name, Is.EqualTo("orders"));
        Assert.That(orders.TopicId, Is.EqualTo(version >= 10 ? TopicId : Guid.Empty));
        Assert.That(orders.IsInternal, Is.False);
        Assert.That(orders.Partitions, Has.Count.EqualTo(2));
        AssertPartition(orders.Partitions[0], KafkaErrorCode.None, 0, 1, version >= 7 ? 7 : -1, [1, 2], [1, 2], []);
        AssertPartition(orders.Partitions[1], KafkaErrorCode.LeaderNotAvailable, 1, -1, version >= 7 ? 8 : -1, [2, 1], [2], version >= 5 ? [1] : []);

        var offsets = response.Topics[1];
        Assert.That(offsets.ErrorCode, Is.EqualTo(KafkaErrorCode.UnknownTopicOrPartition));
        Assert.That(offsets.Name, Is.EqualTo("__consumer_offsets"));
        Assert.That(offsets.TopicId, Is.EqualTo(Guid.Empty));
        Assert.That(offsets.IsInternal, Is.EqualTo(version >= 1));
        Assert.That(offsets.Partitions, Is.Empty);
    }

    [Test]
    public void Equal_node_lists_in_one_response_are_one_shared_array()
    {
        var response = Decode(ResponseBody(9), 9);

        var orders = response.Topics[0];
        Assert.That(orders.Partitions[0].IsrNodes, Is.SameAs(orders.Partitions[0].ReplicaNodes), "[1, 2] twice");
        Assert.That(orders.Partitions[1].ReplicaNodes, Is.Not.SameAs(orders.Partitions[0].ReplicaNodes), "[2, 1] is another list");
        Assert.That(response.SharedNodeIds, Has.Count.EqualTo(4), "[1, 2], [2, 1], [2] and [1]");
        Assert.That(response.SharedNodeIds, Has.Some.SameAs(orders.Partitions[0].ReplicaNodes));
    }

    private static void AssertPartition(
        MetadataPartition partition, KafkaErrorCode error, int index, int leader, int epoch, int[] replicas, int[] isr, int[] offline)
    {
        Assert.That(partition.ErrorCode, Is.EqualTo(error));
        Assert.That(partition.PartitionIndex, Is.EqualTo(index));
        Assert.That(partition.LeaderId, Is.EqualTo(leader));
        Assert.That(partition.LeaderEpoch, Is.EqualTo(epoch));
        Assert.That(partition.ReplicaNodes, Is.EqualTo(replicas));
        Assert.That(partition.IsrNodes, Is.EqualTo(isr));
        Assert.That(partition.OfflineReplicas, Is.EqualTo(offline));
    }

    [Test]
    public void Response_v0_fixed_vector()
    {
        var body = Hex.Parse(
            "00000001" + // one broker
            "00000001 0001 68 00002384" + // node 1, host "h", port 9092
            "00000001" + // one topic
            "0000 0001 74" + // no error, name "t"
            "00000001" + // one partition
            "0000 00000000 00000001" + // no error, partition 0, leader 1
            "00000001 00000001" + // replicas [1]
            "00000001 00000001"); // isr [1]
        var response = Decode(body, 0);
        Assert.That(response.Brokers, Is.EqualTo(new[] { new MetadataBroker(1, "h", 9092, null) }));
        Assert.That(response.ControllerId, Is.EqualTo(-1));
        var partition = response.Topics.Single().Partitions.Single();
        Assert.That(response.Topics[0].Name, Is.EqualTo("t"));
        Assert.That(partition.LeaderId, Is.EqualTo(1));
        Assert.That(partition.ReplicaNodes, Is.EqualTo(new[] { 1 }));
        Assert.That(partition.IsrNodes, Is.EqualTo(new[] { 1 }));
        Assert.That(partition.LeaderEpoch, Is.EqualTo(-1));
    }

    [Test]
    public void Response_v9_fixed_vector()
    {
        var body = Hex.Parse(
            "00000000" + // throttle
            "02 00000001 02 68 00002384 00 00" + // one broker: node 1, "h", 9092, null rack, no tags
            "00" + // null cluster id
            "00000001" + // controller 1
            "02 0000 02 74 00" + // one topic: no error, "t", not internal
            "02 0000 00000000 00000001 00000005 02 00000001 02 00000001 01 00" + // partition 0, leader 1, epoch 5, [1], [1], []
            "80000000 00" + // topic authorized operations, tags
            "80000000 00"); // cluster authorized operations, tags
        var response = Decode(body, 9);
        Assert.That(response.ClusterId, Is.Null);
        Assert.That(response.ControllerId, Is.EqualTo(1));
        var partition = response.Topics.Single().Partitions.Single();
        Assert.That(partition.LeaderEpoch, Is.EqualTo(5));
        Assert.That(partition.OfflineReplicas, Is.Empty);
    }

    [Test]
    public void A_null_topic_name_is_allowed_from_v12_only()
    {
        // Topic asked for by id that does not exist: error 100, null name. v11 and v12 share this layout.
        static byte[] Body() => new Wire()
            .I32(0) // throttle
            .Len(0, true) // no brokers
            .CStr(null) // cluster id
            .I32(-1) // controller
            .Len(1, true).I16(100).CStr(null).Uuid(Z).Bool(false).Len(0, true).I32(int.MinValue).Tags(true)
            .Tags(true)
            .ToArray();

        var response = Decode(Body(), 12);
        Assert.That(response.Topics[0].Name, Is.Null);
        Assert.That(response.Topics[0].ErrorCode, Is.EqualTo(KafkaErrorCode.UnknownTopicId));
        Assert.Throws<KafkaProtocolException>(() => Decode(Body(), 11));
    }

    [Test]
    public void Hostile_counts_in_a_response_are_protocol_errors()
    {
        // v0: a broker count of a million in a 20-byte body.
        Assert.Throws<KafkaProtocolException>(() => Decode(Hex.Parse("000f4240 00000001 0001 68 00002384 00000000"), 0));
        // v0: a replica count of a million.
        Assert.Throws<KafkaProtocolException>(() => Decode(Hex.Parse(
            "00000000 00000001 0000 0001 74 00000001 0000 00000000 00000001 000f4240 00000001 00000000"), 0));
    }

    [Test]
    public void A_truncated_response_is_a_protocol_error()
    {
        var body = ResponseBody(12);
        for (var length = 0; length < body.Length; length += 7)
        {
            var truncated = body[..length];
            Assert.Throws<KafkaProtocolException>(() => Decode(truncated, 12), $"cut at {length}");
        }
    }
}
