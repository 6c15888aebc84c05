using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Protocol;

public sealed class ListOffsetsTests
{
    private const long SomeTime = 1234567890123; // 0x0000011f71fb04cb

    private static ListOffsetsRequest Sample(sbyte isolation) => new()
    {
        IsolationLevel = isolation,
        Topics =
        [
            new ListOffsetsTopic("t",
            [
                new ListOffsetsPartition(0, ListOffsetsRequest.LatestTimestamp, CurrentLeaderEpoch: 5),
                new ListOffsetsPartition(1, SomeTime),
            ]),
        ],
    };

    private static string Encode(ListOffsetsRequest request, short version)
    {
        using var writer = new KafkaWriter();
        request.Write(writer, version);
        return Hex.Format(writer.WrittenSpan);
    }

    private static string Normalize(string hex) => Hex.Format(Hex.Parse(hex));

    // Replica -1; [isolation]; topic "t" with partition 0 (epoch 5, latest) and partition 1 (no epoch, a timestamp).
    // Before v4 the epoch is not sent; from v6 strings and arrays are compact and each struct ends with tags.
    [TestCase((short)1, (sbyte)0, "ffffffff 00000001 0001 74 00000002 00000000 ffffffffffffffff 00000001 0000011f71fb04cb")]
    [TestCase((short)2, (sbyte)1, "ffffffff 01 00000001 0001 74 00000002 00000000 ffffffffffffffff 00000001 0000011f71fb04cb")]
    [TestCase((short)3, (sbyte)1, "ffffffff 01 00000001 0001 74 00000002 00000000 ffffffffffffffff 00000001 0000011f71fb04cb")]
    [TestCase((short)4, (sbyte)1, "ffffffff 01 00000001 0001 74 00000002 00000000 00000005 ffffffffffffffff 00000001 ffffffff 0000011f71fb04cb")]
    [TestCase((short)5, (sbyte)0, "ffffffff 00 00000001 0001 74 00000002 00000000 00000005 ffffffffffffffff 00000001 ffffffff 0000011f71fb04cb")]
    [TestCase((short)6, (sbyte)1, "ffffffff 01 02 02 74 03 00000000 00000005 ffffffffffffffff 00 00000001 ffffffff 0000011f71fb04cb 00 00 00")]
    [TestCase((short)7, (sbyte)1, "ffffffff 01 02 02 74 03 00000000 00000005 ffffffffffffffff 00 00000001 ffffffff 0000011f71fb04cb 00 00 00")]
    public void Request_every_version(short version, sbyte isolation, string hex) =>
        Assert.That(Encode(Sample(isolation), version), Is.EqualTo(Normalize(hex)));

    [Test]
    public void Request_v1_fixed_vector_for_the_earliest_offset_of_one_partition()
    {
        var request = new ListOffsetsRequest
        {
            Topics = [new ListOffsetsTopic("test", [new ListOffsetsPartition(3, ListOffsetsRequest.EarliestTimestamp)])],
        };
        // replica -1, 1 topic "test", 1 partition: index 3, timestamp -2.
        Assert.That(Encode(request, 1), Is.EqualTo(Normalize("ff ff ff ff 00 00 00 01 00 04 74 65 73 74 00 00 00 01 00 00 00 03 ff ff ff ff ff ff ff fe")));
    }

    [Test]
    public void A_replica_id_is_written_as_given()
    {
        var request = new ListOffsetsRequest { ReplicaId = 7 };
        Assert.That(Encode(request, 1), Is.EqualTo(Normalize("00000007 00000000")));
    }

    [Test]
    public void Read_committed_before_v2_is_a_version_error()
    {
        var error = Assert.Throws<KafkaVersionException>(() => Encode(Sample(ListOffsetsRequest.ReadCommitted), 1));
        Assert.That(error!.Message, Does.Contain("v2"));
    }

    [Test]
    public void The_max_timestamp_lookup_needs_v7()
    {
        var request = new ListOffsetsRequest
        {
            Topics = [new ListOffsetsTopic("t", [new ListOffsetsPartition(0, ListOffsetsRequest.MaxTimestamp)])],
        };
        var error = Assert.Throws<KafkaVersionException>(() => Encode(request, 6));
        Assert.That(error!.Message, Does.Contain("v7"));
        Assert.That(Encode(request, 7), Is.EqualTo(Normalize("ffffffff 00 02 02 74 02 00000000 ffffffff fffffffffffffffd 00 00 00")));
    }

    [TestCase((short)0)] // removed in Kafka 4.0; the client does not speak it
    [TestCase((short)8)]
    public void Versions_the_client_does_not_speak_are_refused(short version)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(new ListOffsetsRequest(), version));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
        {
            var reader = new KafkaReader(new byte[16]);
            new ListOffsetsRequest().ReadResponse(ref reader, version);
        });
    }

    // ---- response ----

    internal static byte[] ResponseBody(short version)
    {
        var flexible = version >= 6;
        using var w = new KafkaWriter();
        if (version >= 2)
        {
            w.WriteInt32(33);
        }
        w.WriteArrayLength(2, flexible);

        w.WriteString("t", flexible);
        w.WriteArrayLength(2, flexible);
        WritePartition(w, version, flexible, 0, 0, SomeTime, 42, 5);
        WritePartition(w, version, flexible, 1, 6, -1, -1, -1);
        if (flexible)
        {
            w.WriteEmptyTaggedFields();
        }

        w.WriteString("u", flexible);
        w.WriteArrayLength(0, flexible);
        if (flexible)
        {
            w.WriteEmptyTaggedFields();
        }

        if (flexible)
        {
            w.WriteEmptyTaggedFields();
        }
        return w.WrittenSpan.ToArray();
    }

    private static void WritePartition(KafkaWriter w, short version, bool flexible, int index, short error, long timestamp, long offset, int epoch)
    {
        w.WriteInt32(index);
        w.WriteInt16(error);
        w.WriteInt64(timestamp);
        w.WriteInt64(offset);
        if (version >= 4)
        {
            w.WriteInt32(epoch);
        }
        if (flexible)
        {
            w.WriteEmptyTaggedFields();
        }
    }

    private static ListOffsetsResponse Decode(byte[] body, short version)
    {
        var reader = new KafkaReader(body);
        var response = new ListOffsetsRequest().ReadResponse(ref reader, version);
        Assert.That(reader.Remaining, Is.Zero, "the whole body is read");
        return response;
    }

    [TestCase((short)1)]
    [TestCase((short)2)]
    [TestCase((short)3)]
    [TestCase((short)4)]
    [TestCase((short)5)]
    [TestCase((short)6)]
    [TestCase((short)7)]
    public void Response_decodes_every_field(short version)
    {
        var response = Decode(ResponseBody(version), version);
        Assert.That(response.ThrottleTimeMs, Is.EqualTo(version >= 2 ? 33 : 0));
        Assert.That(response.Topics, Has.Count.EqualTo(2));
        Assert.That(response.Topics[0].Name, Is.EqualTo("t"));
        Assert.That(response.Topics[0].Partitions, Is.EqualTo(new[]
        {
            new ListOffsetsPartitionResponse(0, KafkaErrorCode.None, SomeTime, 42, version >= 4 ? 5 : -1),
            new ListOffsetsPartitionResponse(1, KafkaErrorCode.NotLeaderOrFollower, -1, -1, -1),
        }));
        Assert.That(response.Topics[1].Name, Is.EqualTo("u"));
        Assert.That(response.Topics[1].Partitions, Is.Empty);
    }

    [Test]
    public void Response_v1_fixed_vector()
    {
        // 1 topic "t", 1 partition: index 0, no error, timestamp -1, offset 42.
        var response = Decode(Hex.Parse("00000001 0001 74 00000001 00000000 0000 ffffffffffffffff 000000000000002a"), 1);
        Assert.That(response.Topics.Single().Partitions.Single(), Is.EqualTo(new ListOffsetsPartitionResponse(0, KafkaErrorCode.None, -1, 42, -1)));
    }

    [Test]
    public void Response_v6_fixed_vector()
    {
        // throttle 0; 1 topic "t"; 1 partition: index 2, OFFSET_NOT_AVAILABLE (78), timestamp -1, offset -1, epoch 9.
        var response = Decode(Hex.Parse("00000000 02 02 74 02 00000002 004e ffffffffffffffff ffffffffffffffff 00000009 00 00 00"), 6);
        Assert.That(response.Topics.Single().Partitions.Single(), Is.EqualTo(
            new ListOffsetsPartitionResponse(2, KafkaErrorCode.OffsetNotAvailable, -1, -1, 9)));
    }

    [Test]
    public void A_hostile_partition_count_is_a_protocol_error() =>
        // One topic claiming 1000 partitions of at least 22 bytes each, in a body of a few bytes.
        Assert.Throws<KafkaProtocolException>(() => Decode(Hex.Parse("00000001 0001 74 000003e8 00000000 0000"), 1));

    [Test]
    public void A_truncated_response_is_a_protocol_error()
    {
        var body = ResponseBody(7);
        for (var length = 0; length < body.Length; length += 5)
        {
            var truncated = body[..length];
            Assert.Throws<KafkaProtocolException>(() => Decode(truncated, 7), $"cut at {length}");
        }
    }
}
