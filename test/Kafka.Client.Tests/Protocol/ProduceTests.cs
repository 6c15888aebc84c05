using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class ProduceTests
{
    private static ProduceRequest Sample(string? transactionalId = null) => new()
    {
        TransactionalId = transactionalId,
        Acks = -1,
        TimeoutMs = 1500,
        Topics =
        [
            new ProduceTopicData("t",
            [
                new ProducePartitionData(0, new byte[] { 1, 2, 3 }),
                new ProducePartitionData(1, new byte[] { 4 }),
            ]),
        ],
    };

    private static string Encode(ProduceRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    private static ProduceResponse Decode(byte[] bytes, short version)
    {
        var reader = new KafkaReader(bytes);
        var response = new ProduceRequest().ReadResponse(ref reader, version);
        Assert.That(reader.End, Is.True, "the whole body is consumed");
        return response;
    }

    // acks -1, timeout 1500 ms, topic "t": partition 0 with records 010203, partition 1 with records 04.
    // v3 adds the transactional id (null) in front; v9 makes strings, arrays and bytes compact and closes each
    // struct with an empty tagged-field section.
    private const string ClassicBody = "ffff 000005dc 00000001 0001 74 00000002 00000000 00000003 010203 00000001 00000001 04";
    private const string FlexibleBody = "00 ffff 000005dc 02 02 74 03 00000000 04 010203 00 00000001 02 04 00 00 00";

    [TestCase((short)0, ClassicBody)]
    [TestCase((short)1, ClassicBody)]
    [TestCase((short)2, ClassicBody)]
    [TestCase((short)3, "ffff " + ClassicBody)]
    [TestCase((short)4, "ffff " + ClassicBody)]
    [TestCase((short)5, "ffff " + ClassicBody)]
    [TestCase((short)6, "ffff " + ClassicBody)]
    [TestCase((short)7, "ffff " + ClassicBody)]
    [TestCase((short)8, "ffff " + ClassicBody)]
    [TestCase((short)9, FlexibleBody)]
    [TestCase((short)10, FlexibleBody)]
    [TestCase((short)11, FlexibleBody)] // v11 (TRANSACTION_ABORTABLE may be answered) and v12 (transactions V2) keep v10's shape
    [TestCase((short)12, FlexibleBody)]
    public void Request_every_version(short version, string hex) =>
        Assert.That(Encode(Sample(), version), Is.EqualTo(Normalize(hex)));

    [TestCase((short)3, "0002 7478 " + ClassicBody)]
    [TestCase((short)9, "03 7478 ffff 000005dc 02 02 74 03 00000000 04 010203 00 00000001 02 04 00 00 00")]
    [TestCase((short)12, "03 7478 ffff 000005dc 02 02 74 03 00000000 04 010203 00 00000001 02 04 00 00 00")]
    public void Request_with_a_transactional_id(short version, string hex) =>
        Assert.That(Encode(Sample("tx"), version), Is.EqualTo(Normalize(hex)));

    [Test]
    public void A_transactional_id_cannot_be_sent_before_v3() =>
        Assert.Throws<KafkaVersionException>(() => Encode(Sample("tx"), 2));

    [TestCase((short)-1)]
    [TestCase((short)13)]
    public void Versions_outside_v0_to_v12_are_refused(short version) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(Sample(), version));

    [Test]
    public void Acks_zero_expects_no_response()
    {
        Assert.That(new ProduceRequest { Acks = 0 }.ExpectsResponse, Is.False);
        Assert.That(new ProduceRequest { Acks = 1 }.ExpectsResponse, Is.True);
        Assert.That(new ProduceRequest { Acks = -1 }.ExpectsResponse, Is.True);
    }

    [Test]
    public void Fixed_vector_v3_one_record_batch()
    {
        // The whole v3 body for topic "test", partition 0, acks 1, timeout 30000 ms, with an (opaque) 8-byte
        // records field, laid out field by field from the protocol guide.
        var request = new ProduceRequest
        {
            Acks = 1,
            TimeoutMs = 30000,
            Topics = [new ProduceTopicData("test", [new ProducePartitionData(0, new byte[] { 0, 0, 0, 0, 0, 0, 0, 0 })])],
        };
        Assert.That(Encode(request, 3), Is.EqualTo(Normalize(
            "ff ff 00 01 00 00 75 30 00 00 00 01 00 04 74 65 73 74 00 00 00 01 00 00 00 00 00 00 00 08 00 00 00 00 00 00 00 00")));
    }

    // ---- responses: topic "t", partition 2, base offset 5 ----

    [Test]
    public void Response_v0()
    {
        var bytes = new Wire().Len(1, false).Str("t").Len(1, false).I32(2).I16(0).I64(5).ToArray();
        var response = Decode(bytes, 0);
        var p = response.Topics.Single().Partitions.Single();
        Assert.That(response.Topics[0].Name, Is.EqualTo("t"));
        Assert.That((p.Index, p.ErrorCode, p.BaseOffset, p.LogAppendTimeMs, p.LogStartOffset), Is.EqualTo((2, KafkaErrorCode.None, 5L, -1L, -1L)));
        Assert.That(response.ThrottleTimeMs, Is.Zero);
    }

    [Test]
    public void A_request_that_reuses_its_response_reads_each_answer_into_the_same_objects()
    {
        var request = new ProduceRequest { ReuseResponse = true };
        ProduceResponse Read(byte[] bytes)
        {
            var reader = new KafkaReader(bytes);
            var response = request.ReadResponse(ref reader, 8);
            Assert.That(reader.End, Is.True, "the whole body is consumed");
            return response;
        }
        // v8: index, error, base offset, append time, log start offset, record errors, error message; then throttle time.
        byte[] Answer(string topic, params (int Index, short Error, long Offset)[] partitions)
        {
            var wire = new Wire().Len(1, false).Str(topic).Len(partitions.Length, false);
            foreach (var (index, error, offset) in partitions)
            {
                wire.I32(index).I16(error).I64(offset).I64(-1).I64(0).Len(0, false).I16(-1);
            }
            return wire.I32(0).ToArray();
        }

        var first = Read(Answer("orders", (0, 0, 10), (1, 0, 20)));
        var firstTopic = first.Topics[0];
        var firstName = firstTopic.Name;
        Assert.That(first.Topics[0].Partitions.Select(p => (p.Index, p.BaseOffset)), Is.EqualTo(new[] { (0, 10L), (1, 20L) }));

        var second = Read(Answer("orders", (1, 6, -1)));
        Assert.That(second, Is.SameAs(first));
        Assert.That(second.Topics[0], Is.SameAs(firstTopic));
        Assert.That(second.Topics[0].Name, Is.SameAs(firstName), "the same name bytes keep the same string");
        Assert.That(second.Topics.Count, Is.EqualTo(1));
        Assert.That(second.Topics[0].Partitions.Select(p => (p.Index, p.ErrorCode, p.BaseOffset)),
            Is.EqualTo(new[] { (1, KafkaErrorCode.NotLeaderOrFollower, -1L) }), "only this answer's partitions");

        var third = Read(Answer("payments", (2, 0, 7)));
        Assert.That(third.Topics[0].Name, Is.EqualTo("payments"));
        Assert.That(third.Topics[0].Partitions.Single().BaseOffset, Is.EqualTo(7));

        var fresh = new ProduceRequest();
        var one = new KafkaReader(Answer("orders", (0, 0, 1)));
        var two = new KafkaReader(Answer("orders", (0, 0, 2)));
        Assert.That(fresh.ReadResponse(ref one, 8), Is.Not.SameAs(fresh.ReadResponse(ref two, 8)), "without ReuseResponse every answer is a new response");
    }

    [Test]
    public void Response_v1_adds_the_throttle_time()
    {
        var bytes = new Wire().Len(1, false).Str("t").Len(1, false).I32(2).I16(6).I64(-1).I32(7).ToArray();
        var response = Decode(bytes, 1);
        Assert.That(response.Topics[0].Partitions[0].ErrorCode, Is.EqualTo(KafkaErrorCode.NotLeaderOrFollower));
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(7));
    }

    [TestCase((short)2)]
    [TestCase((short)3)]
    [TestCase((short)4)]
    public void Response_v2_to_v4_add_the_log_append_time(short version)
    {
        var bytes = new Wire().Len(1, false).Str("t").Len(1, false).I32(2).I16(0).I64(5).I64(1_700_000_000_000).I32(0).ToArray();
        var p = Decode(bytes, version).Topics[0].Partitions[0];
        Assert.That(p.LogAppendTimeMs, Is.EqualTo(1_700_000_000_000));
        Assert.That(p.LogStartOffset, Is.EqualTo(-1));
    }

    [TestCase((short)5)]
    [TestCase((short)6)]
    [TestCase((short)7)]
    public void Response_v5_to_v7_add_the_log_start_offset(short version)
    {
        var bytes = new Wire().Len(1, false).Str("t").Len(1, false).I32(2).I16(0).I64(5).I64(-1).I64(3).I32(0).ToArray();
        Assert.That(Decode(bytes, version).Topics[0].Partitions[0].LogStartOffset, Is.EqualTo(3));
    }

    [Test]
    public void Response_v8_adds_record_errors_and_an_error_message()
    {
        var bytes = new Wire().Len(1, false).Str("t").Len(1, false)
            .I32(2).I16(87).I64(-1).I64(-1).I64(0)
            .Len(2, false).I32(0).Str("bad key").I32(3).Str(null)
            .Str("invalid record")
            .I32(0).ToArray();
        var p = Decode(bytes, 8).Topics[0].Partitions[0];
        Assert.That(p.ErrorCode, Is.EqualTo(KafkaErrorCode.InvalidRecord));
        Assert.That(p.RecordErrors, Is.EqualTo(new[] { new ProduceRecordError(0, "bad key"), new ProduceRecordError(3, null) }));
        Assert.That(p.ErrorMessage, Is.EqualTo("invalid record"));
    }

    [Test]
    public void Response_v9_is_flexible()
    {
        var bytes = new Wire().Len(1, true).CStr("t").Len(1, true)
            .I32(2).I16(0).I64(5).I64(-1).I64(0).Len(0, true).CStr(null).Tags(true)
            .Tags(true).I32(4).Tags(true).ToArray();
        var response = Decode(bytes, 9);
        Assert.That(response.Topics[0].Partitions[0].BaseOffset, Is.EqualTo(5));
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(4));
    }

    [TestCase((short)10)]
    [TestCase((short)11)]
    [TestCase((short)12)]
    public void Response_v10_and_later_read_the_current_leader_and_node_endpoints_tags(short version)
    {
        var endpoint = new Wire().Len(1, true).I32(3).CStr("b3").I32(9093).CStr(null).Tags(true).ToArray();
        var bytes = new Wire().Len(1, true).CStr("t").Len(1, true)
            .I32(2).I16(6).I64(-1).I64(-1).I64(-1).Len(0, true).CStr(null)
            .UVarInt(1).UVarInt(0).UVarInt(9).I32(3).I32(7).Tags(true) // CurrentLeader: broker 3, epoch 7
            .Tags(true)
            .I32(0)
            .UVarInt(1).UVarInt(0).UVarInt((uint)endpoint.Length).Raw(endpoint)
            .ToArray();
        var response = Decode(bytes, version);
        var p = response.Topics[0].Partitions[0];
        Assert.That((p.ErrorCode, p.CurrentLeaderId, p.CurrentLeaderEpoch), Is.EqualTo((KafkaErrorCode.NotLeaderOrFollower, 3, 7)));
        Assert.That(response.NodeEndpoints, Is.EqualTo(new[] { new ProduceNodeEndpoint(3, "b3", 9093, null) }));
    }

    [Test]
    public void Response_v10_skips_unknown_tags()
    {
        var bytes = new Wire().Len(1, true).CStr("t").Len(1, true)
            .I32(2).I16(0).I64(5).I64(-1).I64(-1).Len(0, true).CStr(null)
            .UVarInt(1).UVarInt(5).UVarInt(2).Raw(0xAB, 0xCD)
            .Tags(true).I32(0).Tags(true).ToArray();
        var p = Decode(bytes, 10).Topics[0].Partitions[0];
        Assert.That((p.BaseOffset, p.CurrentLeaderId), Is.EqualTo((5L, -1)));
    }

    [Test]
    public void A_partition_count_larger_than_the_frame_is_a_protocol_error()
    {
        var bytes = new Wire().Len(1, false).Str("t").I32(1_000_000).I32(0).ToArray();
        Assert.Throws<KafkaProtocolException>(() => Decode(bytes, 3));
    }

    [Test]
    public void A_tagged_field_longer_than_the_frame_is_a_protocol_error()
    {
        var bytes = new Wire().Len(1, true).CStr("t").Len(1, true)
            .I32(2).I16(0).I64(5).I64(-1).I64(-1).Len(0, true).CStr(null)
            .UVarInt(1).UVarInt(0).UVarInt(200).I32(1).ToArray();
        Assert.Throws<KafkaProtocolException>(() => Decode(bytes, 10));
    }
}
