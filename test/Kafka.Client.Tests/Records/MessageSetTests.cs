using System.Buffers.Binary;
using System.IO.Hashing;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using static Kafka.Client.Tests.Records.RecordReading;

namespace Kafka.Client.Tests.Records;

[TestFixture]
public sealed class MessageSetTests
{
    // Written field by field with Python's struct, zlib.crc32 and gzip modules (gzip level 9, mtime 0).

    /// <summary>Magic 1 gzip wrapper at offset 105 around relative inner offsets 0, 2, 5 (a compacted set).</summary>
    private const string WrapperV1Gzip =
        "000000000000006900000066aa582974010100000000000003eaffffffff000000501f8b080000000000020363608003a9d51133b630"
        + "4239cc2f8004632288959f970a15640262c97b790bb5e1aa5efe070210a3a43c1f2ac60ac4e2f57b7d42e18a5e818c4a06a904001e04b37f6e000000";

    /// <summary>An uncompressed magic 0 message at offset 106: null key, value "legacy".</summary>
    private const string MessageV0 = "000000000000006a000000140726501a0000ffffffff000000066c6567616379";

    /// <summary>Magic 0 gzip wrapper at offset 108 around absolute inner offsets 107 and 108.</summary>
    private const string WrapperV0Gzip =
        "000000000000006c00000045139c2c4a0001ffffffff000000371f8b0800000000000203636000836c2016ba1b723311cc63ca3607"
        + "9165e61049861c90eceec55b24a1b21660590b004f9153d43c000000";

    /// <summary>Magic 1 gzip wrapper with log-append time 9999 at offset 110 around relative offsets 0 and 1.</summary>
    private const string WrapperV1LogAppendTime =
        "000000000000006e0000004cc707ee0e0109000000000000270fffffffff000000361f8b08000000000002036360800309e5988b898c"
        + "301eeb7f2000d24c290650119094c4d99deddfe06ad8e06a0c01eea1572148000000";

    /// <summary>Two uncompressed magic 1 messages at offsets 0 and 1: ("a", "one", 1000) and (null, "", 1001).</summary>
    private const string TwoMessagesV1 =
        "00000000000000000000001aab5898b4010000000000000003e80000000161000000036f6e65"
        + "0000000000000001000000166f36d589010000000000000003e9ffffffff00000000";

    private static byte[] Bytes(params string[] hex) => Convert.FromHexString(string.Concat(hex));

    [Test]
    public void Decodes_hand_built_sets_of_both_magics_with_nested_compressed_wrappers()
    {
        var batches = ReadAll(Bytes(WrapperV1Gzip, MessageV0, WrapperV0Gzip, WrapperV1LogAppendTime));

        Assert.That(batches.SelectMany(b => b.Records), Is.EqualTo(new DecodedRecord[]
        {
            new(100, 1000, "a", "one", []),
            new(102, 1001, null, "two", []),
            new(105, 1002, "c", null, []),
            new(106, -1, null, "legacy", []),
            new(107, -1, "k7", "v7", []),
            new(108, -1, "k8", "v8", []),
            new(109, 9999, null, "d0", []),
            new(110, 9999, null, "d1", []),
        }));
        var infos = batches.Select(b => b.Batch).ToArray();
        Assert.That(infos.Select(b => (b.BaseOffset, b.LastOffset, b.Magic, b.Compression, b.RecordCount)), Is.EqualTo(new[]
        {
            (100L, 105L, (byte)1, CompressionType.Gzip, 3),
            (106L, 106L, (byte)0, CompressionType.None, 1),
            (107L, 108L, (byte)0, CompressionType.Gzip, 2),
            (109L, 110L, (byte)1, CompressionType.Gzip, 2),
        }));
        Assert.That(infos.Select(b => b.TimestampType),
            Is.EqualTo(new[] { TimestampType.CreateTime, TimestampType.None, TimestampType.None, TimestampType.LogAppendTime }));
        Assert.That(infos.Select(b => b.ProducerId), Is.All.EqualTo(-1));
    }

    [Test]
    public void A_fetch_mixing_message_sets_and_record_batches_decodes_both()
    {
        var v2 = BuildBatch([new(111, 5000, "new", "format", [("h", "1")])], new RecordBatchSettings { BaseOffset = 111, Compression = CompressionType.Lz4 });
        var data = Bytes(MessageV0, WrapperV1Gzip).Concat(v2).ToArray();

        Assert.That(DecodeRecords(data).Select(r => r.Offset), Is.EqualTo(new long[] { 106, 100, 102, 105, 111 }));
        Assert.That(DecodeRecords(data)[^1], Is.EqualTo(new DecodedRecord(111, 5000, "new", "format", [("h", "1")])));
    }

    [Test]
    public void A_partial_trailing_message_is_ignored()
    {
        var whole = Bytes(MessageV0, WrapperV1Gzip);
        var cut = whole[..(whole.Length - 10)];
        using var reader = new RecordSetReader();
        reader.Reset(cut);

        Assert.That(reader.TryReadBatch(out var first), Is.True);
        Assert.That(first.BaseOffset, Is.EqualTo(106));
        Assert.That(reader.TryReadBatch(out _), Is.False);
        Assert.That(reader.TrailingBytes, Is.EqualTo(Bytes(WrapperV1Gzip).Length - 10));
        Assert.That(reader.TruncatedEntrySize, Is.EqualTo(Bytes(WrapperV1Gzip).Length));
    }

    [Test]
    public void The_encoder_writes_the_hand_built_messages_byte_for_byte()
    {
        using var output = new KafkaWriter();
        using var builder = new MessageSetBuilder();
        builder.Begin(output, magic: 1);
        builder.Append(1000, "a"u8, "one"u8);
        builder.Append(1001, [], [], keyIsNull: true);
        builder.Complete();
        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(Bytes(TwoMessagesV1)));

        output.Reset();
        builder.Begin(output, magic: 0);
        builder.Append(0, [], "legacy"u8, keyIsNull: true);
        builder.Complete();
        var expected = Bytes(MessageV0);
        expected.AsSpan(0, 8).Clear(); // the producer's offset is 0; the broker assigned 106
        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Round_trips_every_legacy_codec_for_both_magics(
        [Values(0, 1)] byte magic,
        [Values(CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4)] CompressionType compression)
    {
        var records = Enumerable.Range(0, 50).Select(i => new DecodedRecord(
            i,
            magic == 0 ? -1 : 1_600_000_000_000 + i,
            i % 3 == 0 ? null : $"k{i}",
            i % 5 == 0 ? null : new string('m', i * 7),
            [])).ToArray();
        using var output = new KafkaWriter();
        using var builder = new MessageSetBuilder();
        builder.Begin(output, magic, compression);
        foreach (var r in records)
        {
            builder.Append(r.Timestamp, Utf8(r.Key), Utf8(r.Value), r.Key is null, r.Value is null);
        }
        builder.Complete();

        var batches = ReadAll(output.WrittenMemory);
        Assert.That(batches.SelectMany(b => b.Records), Is.EqualTo(records));
        Assert.That(batches, Has.Count.EqualTo(compression == CompressionType.None ? 50 : 1));
        Assert.That(batches.Select(b => b.Batch.Compression), Is.All.EqualTo(compression));
        Assert.That(batches.Select(b => b.Batch.Magic), Is.All.EqualTo(magic));
    }

    [Test]
    public void A_magic_0_lz4_wrapper_carries_the_old_kafka_header_checksum_and_magic_1_the_standard_one([Values(0, 1)] byte magic)
    {
        using var output = new KafkaWriter();
        using var builder = new MessageSetBuilder();
        builder.Begin(output, magic, CompressionType.Lz4);
        builder.Append(0, [], "lz4 in a message set"u8, keyIsNull: true);
        builder.Complete();

        // offset, size, crc, magic, attributes, [timestamp], key length -1, value length, then the frame.
        var frameAt = 12 + 4 + 1 + 1 + (magic == 1 ? 8 : 0) + 4 + 4;
        var frame = output.WrittenSpan[frameAt..];
        var expected = magic == 0 ? XxHash32.HashToUInt32(frame[..6]) : XxHash32.HashToUInt32(frame[4..6]);
        Assert.That(frame[6], Is.EqualTo((byte)(expected >> 8)));
        Assert.That(DecodeRecords(output.WrittenMemory).Single().Value, Is.EqualTo("lz4 in a message set"));
    }

    [Test]
    public void A_legacy_CRC_mismatch_names_the_topic_partition_and_offset()
    {
        var bytes = Bytes(MessageV0);
        bytes[^1] ^= 1;
        Assert.That(() => ReadAll(bytes), Throws.TypeOf<KafkaProtocolException>().With.Message
            .Contains("CRC-32").And.Message.Contains("orders/3").And.Message.Contains("offset 106"));
    }

    [Test]
    public void A_corrupt_inner_message_is_reported_against_its_wrapper()
    {
        // Inner messages carry their own CRC; wrap a set whose only message is damaged.
        using var inner = new KafkaWriter();
        using (var builder = new MessageSetBuilder())
        {
            builder.Begin(inner, magic: 1);
            builder.Append(1, "k"u8, "v"u8);
            builder.Complete();
        }
        var damaged = inner.WrittenSpan.ToArray();
        damaged[^1] ^= 1;

        Assert.That(() => ReadAll(Wrap(1, 41, CompressionType.Gzip, damaged)),
            Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("CRC-32").And.Message.Contains("offset 41"));
    }

    [Test]
    public void Compression_nested_inside_a_wrapper_is_refused()
    {
        var innerWrapper = Bytes(WrapperV1Gzip);
        Assert.That(() => ReadAll(Wrap(1, 200, CompressionType.Gzip, innerWrapper)),
            Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("nested"));
    }

    [Test]
    public void Hostile_inner_sizes_and_wrapper_bombs_are_protocol_errors()
    {
        var truncatedInner = Bytes(TwoMessagesV1)[..^3];
        Assert.That(() => ReadAll(Wrap(1, 1, CompressionType.Snappy, truncatedInner)),
            Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("inner message size"));

        var huge = new byte[4 * 1024 * 1024];
        Assert.That(() => ReadAll(Wrap(1, 1, CompressionType.Lz4, huge), maxBatchBytes: 1024 * 1024),
            Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("exceeds"));

        var noValue = Bytes(MessageV0);
        // Turn the message into a gzip wrapper with a null value: attributes 1, value length -1.
        noValue[17] = 1;
        BinaryPrimitives.WriteInt32BigEndian(noValue.AsSpan(22), -1);
        var fixedUp = noValue[..26];
        BinaryPrimitives.WriteInt32BigEndian(fixedUp.AsSpan(8), fixedUp.Length - 12);
        BinaryPrimitives.WriteUInt32BigEndian(fixedUp.AsSpan(12), Crc32.HashToUInt32(fixedUp.AsSpan(16)));
        Assert.That(() => ReadAll(fixedUp), Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("without a value"));
    }

    [Test]
    public void The_encoder_refuses_what_message_sets_cannot_carry()
    {
        using var output = new KafkaWriter();
        using var builder = new MessageSetBuilder();
        Assert.That(() => builder.Begin(output, magic: 2), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => builder.Begin(output, magic: 1, CompressionType.Zstd), Throws.InstanceOf<ArgumentOutOfRangeException>());
        builder.Begin(output, magic: 1);
        Assert.That(() => builder.Complete(), Throws.InvalidOperationException);
        Assert.That(MessageSetBuilder.MessageSize(0, -1, 6), Is.EqualTo(Bytes(MessageV0).Length));
        Assert.That(MessageSetBuilder.MessageSize(1, 1, 3), Is.EqualTo(38));
    }

    /// <summary>A wrapper message around <paramref name="inner"/>, built here field by field.</summary>
    private static byte[] Wrap(byte magic, long offset, CompressionType compression, byte[] inner)
    {
        var compressed = new System.Buffers.ArrayBufferWriter<byte>();
        Kafka.Client.Protocol.Records.Compression.Compress(compression, inner, compressed);
        using var w = new KafkaWriter();
        w.WriteInt64(offset);
        var sizeAt = w.ReserveInt32();
        w.WriteInt32(0);
        w.WriteUInt8(magic);
        w.WriteInt8((sbyte)compression);
        if (magic == 1)
        {
            w.WriteInt64(77);
        }
        w.WriteInt32(-1);
        w.WriteBytes(compressed.WrittenSpan, compact: false);
        w.PatchInt32(sizeAt, w.Position - 12);
        w.PatchInt32(12, (int)Crc32.HashToUInt32(w.WrittenSpan[16..]));
        return w.WrittenSpan.ToArray();
    }
}
