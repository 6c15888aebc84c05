using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;
using Kafka.Client.Protocol.Records;
using Kafka.Client.Tests.Protocol;
using Snappier;
using ZstdSharp;
using Compression = Kafka.Client.Protocol.Records.Compression;

namespace Kafka.Client.Tests.Records;

[TestFixture]
public sealed class CompressionTests
{
    private static readonly CompressionType[] Codecs =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    private static byte[] Compress(CompressionType type, ReadOnlySpan<byte> input, int? level = null)
    {
        var output = new ArrayBufferWriter<byte>();
        var written = Compression.Compress(type, input, output, level);
        Assert.That(written, Is.EqualTo(output.WrittenCount));
        return output.WrittenSpan.ToArray();
    }

    private static byte[] Decompress(CompressionType type, ReadOnlySpan<byte> input, int max = 64 * 1024 * 1024)
    {
        var output = new ArrayBufferWriter<byte>();
        var written = Compression.Decompress(type, input, output, max);
        Assert.That(written, Is.EqualTo(output.WrittenCount));
        return output.WrittenSpan.ToArray();
    }

    [Test]
    public void Every_codec_round_trips_text_random_and_empty_inputs_of_several_sizes([ValueSource(nameof(Codecs))] CompressionType type)
    {
        foreach (var size in new[] { 0, 1, 100, 32 * 1024, 70_000, 300_000 })
        {
            foreach (var input in new[] { RecordTestData.Text(size), RecordTestData.Random(size) })
            {
                var compressed = Compress(type, input);
                Assert.That(Decompress(type, compressed), Is.EqualTo(input), $"{type}, {size} bytes");
                Assert.That(compressed.Length, Is.LessThanOrEqualTo(Compression.MaxCompressedLength(type, size)), $"bound for {type}, {size} bytes");
            }
        }
    }

    [TestCase(CompressionType.Gzip, 1)]
    [TestCase(CompressionType.Gzip, 9)]
    [TestCase(CompressionType.Lz4, 9)]
    [TestCase(CompressionType.Lz4, 12)]
    [TestCase(CompressionType.Zstd, 1)]
    [TestCase(CompressionType.Zstd, 19)]
    [TestCase(CompressionType.Zstd, -5)]
    public void Levels_change_the_output_but_not_what_it_decodes_to(CompressionType type, int level)
    {
        var input = RecordTestData.Text(100_000);
        Assert.That(Decompress(type, Compress(type, input, level)), Is.EqualTo(input));
    }

    [Test]
    public void Gzip_reads_a_vector_written_by_the_gzip_tool_and_writes_what_GZipStream_reads()
    {
        // printf 'Kafka records, gzip vector. Kafka records, gzip vector.' | gzip -9 -n
        var vector = Convert.FromHexString(
            "1f8b0800000000000203f34e4ccb4e54284a4dce2f4a29d65148afca2c50284b4d2ec92fd253f0c62d07002f90faa237000000");
        Assert.That(Encoding.ASCII.GetString(Decompress(CompressionType.Gzip, vector)),
            Is.EqualTo("Kafka records, gzip vector. Kafka records, gzip vector."));

        var input = RecordTestData.Text(50_000);
        var ours = Compress(CompressionType.Gzip, input);
        Assert.That(ours[..3], Is.EqualTo(new byte[] { 0x1F, 0x8B, 0x08 }));
        using var gzip = new GZipStream(new MemoryStream(ours), CompressionMode.Decompress);
        using var copy = new MemoryStream();
        gzip.CopyTo(copy);
        Assert.That(copy.ToArray(), Is.EqualTo(input));
    }

    [Test]
    public void Gzip_reads_concatenated_members()
    {
        var a = Compress(CompressionType.Gzip, "first "u8);
        var b = Compress(CompressionType.Gzip, "second"u8);
        Assert.That(Encoding.ASCII.GetString(Decompress(CompressionType.Gzip, [.. a, .. b])), Is.EqualTo("first second"));
    }

    [Test]
    public void Snappy_reads_the_xerial_framing_as_snappy_java_writes_it_and_the_bare_block_inside_it()
    {
        // snappy-java's stream for "foobar\n": header 0x82 SNAPPY 0, version 1, compatible 1, then one
        // big-endian length-prefixed raw block.
        var framed = Convert.FromHexString("82534e41505059000000000100000001000000090718666f6f6261720a");
        Assert.That(Encoding.ASCII.GetString(Decompress(CompressionType.Snappy, framed)), Is.EqualTo("foobar\n"));
        Assert.That(Encoding.ASCII.GetString(Decompress(CompressionType.Snappy, framed.AsSpan(20))), Is.EqualTo("foobar\n"));
    }

    [Test]
    public void Snappy_writes_the_xerial_framing_whose_blocks_Snappier_decodes_raw()
    {
        var input = RecordTestData.Text(100_000);
        var ours = Compress(CompressionType.Snappy, input);
        Assert.That(ours[..16], Is.EqualTo(Convert.FromHexString("82534e4150505900" + "00000001" + "00000001")));

        using var decoded = new MemoryStream();
        var blocks = 0;
        for (var position = 16; position < ours.Length; blocks++)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(ours.AsSpan(position));
            decoded.Write(Snappy.DecompressToArray(ours.AsSpan(position + 4, length)));
            position += 4 + length;
        }
        Assert.That(decoded.ToArray(), Is.EqualTo(input));
        Assert.That(blocks, Is.EqualTo(4), "32 KiB blocks, as snappy-java writes them");
    }

    [Test]
    public void Snappy_reads_a_raw_block_Snappier_wrote()
    {
        var input = RecordTestData.Text(70_000);
        Assert.That(Decompress(CompressionType.Snappy, Snappy.CompressToArray(input)), Is.EqualTo(input));
    }

    [Test]
    public void Lz4_reads_a_frame_written_by_the_lz4_tool_with_a_content_checksum()
    {
        // printf 'Kafka records, lz4 vector. Kafka records, lz4 vector. Kafka records, lz4 vector.' | lz4 -c
        var vector = Convert.FromHexString(
            "04224d186440a726000000ff0c4b61666b61207265636f7264732c206c7a3420766563746f722e201b001d5063746f722e000000001f6d9cd5");
        Assert.That(Encoding.ASCII.GetString(Decompress(CompressionType.Lz4, vector)),
            Is.EqualTo("Kafka records, lz4 vector. Kafka records, lz4 vector. Kafka records, lz4 vector."));
    }

    [Test]
    public void Lz4_reads_linked_blocks_with_block_checksums_written_by_the_lz4_tool()
    {
        // lz4 -BD -BX -B4 over LinkedBlockInput(): its second block is 13 bytes of references into the first.
        var vector = Convert.FromHexString(Lz4LinkedVector.Hex);
        Assert.That(vector[4], Is.EqualTo(0x54), "linked blocks, block and content checksums");
        Assert.That(Decompress(CompressionType.Lz4, vector), Is.EqualTo(RecordTestData.LinkedBlockInput()));

        vector[200] ^= 0x01;
        Assert.That(() => Decompress(CompressionType.Lz4, vector),
            Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("block checksum"));
    }

    [Test]
    public void Lz4_writes_the_frame_Kafka_writes_and_K4os_reads_it()
    {
        var input = RecordTestData.Text(200_000);
        var ours = Compress(CompressionType.Lz4, input);
        // Magic, FLG (version 1, independent blocks), BD (64 KiB), header checksum.
        Assert.That(ours[..7], Is.EqualTo(Convert.FromHexString("04224d18604082")));
        Assert.That(LZ4Frame.Decode(ours.AsSpan(), new ArrayBufferWriter<byte>()).WrittenSpan.ToArray(), Is.EqualTo(input));
        Assert.That(LZ4Frame.Decode(Compress(CompressionType.Lz4, RecordTestData.Random(150_000)).AsSpan(), new ArrayBufferWriter<byte>())
            .WrittenSpan.ToArray(), Is.EqualTo(RecordTestData.Random(150_000)));
    }

    [Test]
    public void Lz4_reads_frames_K4os_writes_with_every_option()
    {
        var input = RecordTestData.Text(300_000);
        foreach (var chain in new[] { false, true })
        {
            foreach (var blockSize in new[] { 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024 })
            {
                var settings = new LZ4EncoderSettings
                {
                    ChainBlocks = chain,
                    BlockSize = blockSize,
                    BlockChecksum = true,
                    ContentChecksum = true,
                    CompressionLevel = LZ4Level.L00_FAST,
                };
                var frame = LZ4Frame.Encode(input.AsSpan(), new ArrayBufferWriter<byte>(), settings).WrittenSpan.ToArray();
                Assert.That(Decompress(CompressionType.Lz4, frame), Is.EqualTo(input), $"chain {chain}, block size {blockSize}");
            }
        }
    }

    [Test]
    public void Lz4_reads_a_frame_with_a_content_size_and_checks_it()
    {
        // K4os does not write content sizes; this frame is put together by hand: FLG with C.Size, one stored block.
        var input = "stored block"u8.ToArray();
        byte[] descriptor = [0x68, 0x40, (byte)input.Length, 0, 0, 0, 0, 0, 0, 0];
        byte[] frame =
        [
            0x04, 0x22, 0x4D, 0x18, .. descriptor, (byte)(XxHash32.HashToUInt32(descriptor) >> 8),
            (byte)input.Length, 0, 0, 0x80, .. input, 0, 0, 0, 0,
        ];
        Assert.That(Decompress(CompressionType.Lz4, frame), Is.EqualTo(input));
        Assert.That(() => Decompress(CompressionType.Lz4, frame, max: input.Length - 1),
            Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("exceeds"));

        descriptor[2]++;
        frame[6]++;
        frame[14] = (byte)(XxHash32.HashToUInt32(descriptor) >> 8);
        Assert.That(() => Decompress(CompressionType.Lz4, frame), Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("declared"));
    }

    [Test]
    public void Lz4_reads_and_for_magic_0_writes_the_header_checksum_of_Kafka_before_0_10()
    {
        var input = RecordTestData.Text(1000);
        var output = new ArrayBufferWriter<byte>();
        Lz4FrameCodec.Compress(input, output, level: null, brokenHeaderChecksum: true);
        var broken = output.WrittenSpan.ToArray();
        // KIP-57: the old checksum hashed the magic number along with the descriptor.
        Assert.That(broken[6], Is.EqualTo((byte)(XxHash32.HashToUInt32(broken.AsSpan(0, 6)) >> 8)));
        Assert.That(broken[6], Is.Not.EqualTo((byte)0x82));
        Assert.That(Decompress(CompressionType.Lz4, broken), Is.EqualTo(input));

        var bad = Compress(CompressionType.Lz4, input);
        bad[6] ^= 0xFF;
        Assert.That(() => Decompress(CompressionType.Lz4, bad), Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("header checksum"));
    }

    [Test]
    public void Lz4_skips_skippable_frames_and_reads_concatenated_frames()
    {
        var a = Compress(CompressionType.Lz4, "one "u8);
        var b = Compress(CompressionType.Lz4, "two"u8);
        byte[] skippable = [0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9];
        Assert.That(Encoding.ASCII.GetString(Decompress(CompressionType.Lz4, [.. a, .. skippable, .. b])), Is.EqualTo("one two"));
    }

    [Test]
    public void Zstd_reads_frames_written_by_the_zstd_tool_with_and_without_a_content_size()
    {
        const string text = "Kafka records, zstd vector. Kafka records, zstd vector.";
        // zstd -c file (content size 55 in the header) and `cat file | zstd -c` (no content size).
        var sized = Convert.FromHexString("28b52ffd2437150100e04b61666b61207265636f7264732c207a73746420766563746f722e2001007c389d2435cf41");
        var unsized = Convert.FromHexString("28b52ffd0458150100e04b61666b61207265636f7264732c207a73746420766563746f722e2001007c389d2435cf41");
        Assert.That(Encoding.ASCII.GetString(Decompress(CompressionType.Zstd, sized)), Is.EqualTo(text));
        Assert.That(Encoding.ASCII.GetString(Decompress(CompressionType.Zstd, unsized)), Is.EqualTo(text));
        Assert.That(Encoding.ASCII.GetString(Decompress(CompressionType.Zstd, [.. sized, .. unsized])), Is.EqualTo(text + text));
    }

    [Test]
    public void Zstd_writes_a_standard_frame_that_ZstdSharp_reads()
    {
        var input = RecordTestData.Text(200_000);
        var ours = Compress(CompressionType.Zstd, input);
        Assert.That(ours[..4], Is.EqualTo(new byte[] { 0x28, 0xB5, 0x2F, 0xFD }));
        Assert.That(Decompressor.GetDecompressedSize(ours), Is.EqualTo((ulong)input.Length));
        using var decompressor = new Decompressor();
        Assert.That(decompressor.Unwrap(ours).ToArray(), Is.EqualTo(input));
    }

    private static IEnumerable<TestCaseData> Bombs()
    {
        // 32 MiB of zeros shrinks to little; decoding it under a 64 KiB limit must stop early.
        var zeros = new byte[32 * 1024 * 1024];
        foreach (var type in new[] { CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd })
        {
            yield return new TestCaseData(type, Compress(type, zeros)).SetArgDisplayNames(type.ToString());
        }
        yield return new TestCaseData(CompressionType.Snappy, Snappy.CompressToArray(zeros)).SetArgDisplayNames("raw snappy");
        var unsized = new ArrayBufferWriter<byte>();
        using (var compressor = new Compressor(3))
        {
            // Streamed, so the frame does not declare its size.
            Span<byte> chunk = new byte[1 << 20];
            compressor.WrapStream(zeros, chunk, out _, out var written, isFinalBlock: true);
            unsized.Write(chunk[..written]);
        }
        yield return new TestCaseData(CompressionType.Zstd, unsized.WrittenSpan.ToArray()).SetArgDisplayNames("zstd without content size");
        var k4os = LZ4Frame.Encode(zeros.AsSpan(), new ArrayBufferWriter<byte>(),
            new LZ4EncoderSettings { BlockSize = 4 * 1024 * 1024, ChainBlocks = true }).WrittenSpan.ToArray();
        yield return new TestCaseData(CompressionType.Lz4, k4os).SetArgDisplayNames("lz4 4 MiB linked blocks");
    }

    [TestCaseSource(nameof(Bombs))]
    public void A_decompression_bomb_stops_at_the_limit_without_allocating_its_size(CompressionType type, byte[] bomb)
    {
        const int limit = 64 * 1024;
        var output = new TrackingBufferWriter();
        var before = GC.GetAllocatedBytesForCurrentThread();

        Assert.That(() => Compression.Decompress(type, bomb, output, limit),
            Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("decompressed size exceeds"));

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(output.WrittenCount, Is.LessThanOrEqualTo(limit));
        Assert.That(output.LargestRequest, Is.LessThanOrEqualTo(4 * 1024 * 1024), "no request beyond one LZ4 block");
        Assert.That(allocated, Is.LessThan(16 * 1024 * 1024), "far less than the 32 MiB the data expands to");
    }

    [Test]
    public void An_lz4_frame_of_4_MiB_blocks_takes_room_for_what_its_block_can_decode_to_not_for_4_MiB()
    {
        // Magic, FLG 60 (version 1, independent blocks), BD 70 (4 MiB blocks), header checksum 73; one compressed
        // block of 5 bytes: token 40 (4 literals, no match), "abcd"; end mark.
        var frame = Hex.Parse("04224d18 60 70 73 05000000 40 61626364 00000000");
        var output = new TrackingBufferWriter();

        Assert.That(Compression.Decompress(CompressionType.Lz4, frame, output, RecordSetReader.DefaultMaxBatchBytes), Is.EqualTo(4));

        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo("abcd"u8.ToArray()));
        Assert.That(output.LargestRequest, Is.LessThanOrEqualTo(255 * 5), "an LZ4 block yields at most 255 bytes per byte");
    }

    [Test]
    public void An_lz4_block_is_given_no_more_room_than_the_limit_allows()
    {
        // The same 4-byte block, decoded under a 3-byte limit.
        var frame = Hex.Parse("04224d18 60 70 73 05000000 40 61626364 00000000");
        var output = new TrackingBufferWriter();

        Assert.That(() => Compression.Decompress(CompressionType.Lz4, frame, output, 3),
            Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("decompressed size exceeds"));
        Assert.That(output.LargestRequest, Is.LessThanOrEqualTo(4), "the limit and the one byte that shows it was crossed");
    }

    [TestCase("ffff3f 00 61", TestName = "A raw snappy block of 5 bytes claiming 1 MiB - 1 is refused before allocating")]
    [TestCase("82534e4150505900 00000001 00000001 00000005 ffff3f 00 61", TestName = "A xerial snappy block of 5 bytes claiming 1 MiB - 1 is refused before allocating")]
    public void A_snappy_block_claiming_more_than_it_can_decode_to_is_refused_before_allocating(string hex)
    {
        // Preamble ff ff 3f: 1,048,575 bytes, within the reader's limit; then a literal of one byte, "a". Snappy
        // writes at most 64 bytes per 3 of input, so 5 bytes cannot be a megabyte.
        var output = new TrackingBufferWriter();

        Assert.That(() => Compression.Decompress(CompressionType.Snappy, Hex.Parse(hex), output, RecordSetReader.DefaultMaxBatchBytes),
            Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("claims to decode to 1048575"));
        Assert.That(output.LargestRequest, Is.Zero);
    }

    [Test]
    public void A_zstd_frame_declaring_too_large_a_size_is_refused_before_decoding()
    {
        var bomb = Compress(CompressionType.Zstd, new byte[1024 * 1024]);
        var output = new TrackingBufferWriter();
        Assert.That(() => Compression.Decompress(CompressionType.Zstd, bomb, output, 1000), Throws.TypeOf<KafkaProtocolException>());
        Assert.That(output.LargestRequest, Is.Zero);
    }

    [Test]
    public void Exactly_the_limit_is_allowed([ValueSource(nameof(Codecs))] CompressionType type)
    {
        var input = RecordTestData.Text(100_000);
        Assert.That(Decompress(type, Compress(type, input), max: input.Length), Is.EqualTo(input));
        Assert.That(() => Decompress(type, Compress(type, input), max: input.Length - 1), Throws.TypeOf<KafkaProtocolException>());
    }

    [Test]
    public void Garbage_and_truncated_input_raise_protocol_errors([Values(CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd)] CompressionType type)
    {
        Assert.That(() => Decompress(type, RecordTestData.Random(1000, seed: 3)), Throws.TypeOf<KafkaProtocolException>());
        var input = RecordTestData.Random(5000);
        var compressed = Compress(type, input);
        if (type == CompressionType.Gzip)
        {
            // GZipStream ends quietly at truncated input; the batch CRC and record count catch that a layer up.
            Assert.That(Decompress(type, compressed.AsSpan(0, compressed.Length / 2)).Length, Is.LessThan(input.Length));
            return;
        }
        Assert.That(() => Decompress(type, compressed.AsSpan(0, compressed.Length / 2)), Throws.TypeOf<KafkaProtocolException>());
    }

    [Test]
    public void An_unknown_codec_id_is_a_protocol_error()
    {
        Assert.That(() => Decompress((CompressionType)5, [1, 2, 3]), Throws.TypeOf<KafkaProtocolException>().With.Message.Contains("codec 5"));
    }
}
