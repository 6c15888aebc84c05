using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Kafka.Client.Protocol;
using Kafka.Client.Protocol.Records;
using static Kafka.Client.Protocol.Records.RecordBatchFormat;

namespace Kafka.Client.Tests.Protocol.Fuzzing;

/// <summary>
/// Record sets in every format and codec, built with the project's own writers (record batch v2 with each codec,
/// idempotent, transactional, control and log-append-time batches; message sets magic 0 and 1 with each codec they
/// allow; mixed sets), and the surgery the fuzz suite needs on them: finding compressed payloads, rebuilding a batch
/// around a changed payload, and resealing checksums after a mutation.
/// </summary>
internal static class RecordSetSeeds
{
    private static readonly CompressionType[] V2Codecs =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    private static readonly CompressionType[] LegacyCodecs =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4];

    public static IEnumerable<RecordSetSeed> Built()
    {
        foreach (var codec in V2Codecs)
        {
            yield return new RecordSetSeed($"v2 {Compression.Name(codec)}", V2(new RecordBatchSettings { Compression = codec }));
        }
        yield return new RecordSetSeed("v2 idempotent zstd", V2(new RecordBatchSettings
        {
            Compression = CompressionType.Zstd, ProducerId = 4242, ProducerEpoch = 3, BaseSequence = 17, BaseOffset = 100,
        }));
        yield return new RecordSetSeed("v2 log-append-time", V2(new RecordBatchSettings { LogAppendTime = 1_700_000_123_456, BaseOffset = 7 }));
        var transactional = new RecordBatchSettings { ProducerId = 9, ProducerEpoch = 1, BaseSequence = 0, IsTransactional = true, BaseOffset = 20 };
        yield return new RecordSetSeed("v2 transaction and commit marker",
            [.. V2(transactional), .. ControlBatch(transactional with { BaseOffset = 26, BaseSequence = -1, IsControl = true })]);
        var two = V2(new RecordBatchSettings { BaseOffset = 0 });
        var lz4 = V2(new RecordBatchSettings { Compression = CompressionType.Lz4, BaseOffset = 6 });
        yield return new RecordSetSeed("v2 two batches and a partial third", [.. two, .. lz4, .. two.AsSpan(0, 40)]);

        foreach (var magic in new byte[] { MagicV0, MagicV1 })
        {
            foreach (var codec in LegacyCodecs)
            {
                yield return new RecordSetSeed($"magic {magic} {Compression.Name(codec)}", Legacy(magic, codec));
            }
        }
        yield return new RecordSetSeed("magic 1 then v2", [.. Legacy(MagicV1, CompressionType.Gzip), .. V2(new RecordBatchSettings { BaseOffset = 6 })]);
    }

    /// <summary>Six records: keys, a null key, empty and null values, headers (one null), timestamps far apart.</summary>
    public static byte[] V2(RecordBatchSettings settings)
    {
        using var output = new KafkaWriter();
        using var builder = new RecordBatchBuilder();
        builder.Begin(output, settings);
        var time = 1_700_000_000_000L;
        var text = Encoding.UTF8.GetBytes("a value long enough for the codecs to find something to compress, to compress, to compress");
        builder.Append(time, "k1"u8, text, [new KafkaHeader("trace", "t-1"u8.ToArray()), KafkaHeader.WithNullValue("none"), new KafkaHeader("", ReadOnlyMemory<byte>.Empty)]);
        builder.Append(time + 1, default, "v2"u8, [], keyIsNull: true);
        builder.Append(time - 5, "k3"u8, default, []);
        builder.Append(time + 3_600_000, "k4"u8, default, [], valueIsNull: true);
        builder.Append(time + 4, "k5"u8, text, [new KafkaHeader("h", text)]);
        builder.Append(time + 5, [], [], []);
        builder.Complete();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>A control batch with a transaction commit marker (key: version 0, type 1; value: version 0, coordinator epoch 5).</summary>
    private static byte[] ControlBatch(RecordBatchSettings settings)
    {
        using var output = new KafkaWriter();
        using var builder = new RecordBatchBuilder();
        builder.Begin(output, settings);
        builder.Append(1_700_000_000_100, [0, 0, 0, 1], [0, 0, 0, 0, 0, 5], []);
        builder.Complete();
        return output.WrittenSpan.ToArray();
    }

    public static byte[] Legacy(byte magic, CompressionType codec)
    {
        using var output = new KafkaWriter();
        using var builder = new MessageSetBuilder();
        builder.Begin(output, magic, codec);
        var time = 1_700_000_000_000L;
        builder.Append(time, "k1"u8, Encoding.UTF8.GetBytes("a legacy message value, a legacy message value, a legacy message value"));
        builder.Append(time + 1, default, "v2"u8, keyIsNull: true);
        builder.Append(time + 2, "k3"u8, default, valueIsNull: true);
        builder.Append(time + 3, [], []);
        builder.Complete();
        return output.WrittenSpan.ToArray();
    }

    /// <summary>One entry of a record set: where it starts, its magic, its codec and where its compressed payload lies.</summary>
    public readonly record struct Entry(int Start, int Length, byte Magic, CompressionType Codec, int PayloadAt, int PayloadLength);

    /// <summary>The complete entries of a valid record set, in order.</summary>
    public static List<Entry> Entries(ReadOnlySpan<byte> set)
    {
        var entries = new List<Entry>();
        for (var position = 0; set.Length - position >= LogOverhead + LegacyMinMessageSizeV0;)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(set[(position + BatchLengthOffset)..]);
            if (size < LegacyMinMessageSizeV0 || size > set.Length - position - LogOverhead)
            {
                break;
            }
            var entry = set.Slice(position, LogOverhead + size);
            var magic = entry[MagicOffset];
            if (magic == MagicV2 && entry.Length >= BatchHeaderSize)
            {
                var codec = (CompressionType)(BinaryPrimitives.ReadInt16BigEndian(entry[AttributesOffset..]) & CompressionMask);
                entries.Add(new Entry(position, entry.Length, magic, codec, position + BatchHeaderSize, entry.Length - BatchHeaderSize));
            }
            else if (magic <= MagicV1)
            {
                var codec = (CompressionType)(entry[LogOverhead + 5] & CompressionMask);
                var keyAt = LogOverhead + 6 + (magic == MagicV1 ? 8 : 0);
                var keyLength = BinaryPrimitives.ReadInt32BigEndian(entry[keyAt..]);
                var valueAt = keyAt + 4 + Math.Max(keyLength, 0);
                var valueLength = BinaryPrimitives.ReadInt32BigEndian(entry[valueAt..]);
                entries.Add(new Entry(position, entry.Length, magic, codec, position + valueAt + 4, Math.Max(valueLength, 0)));
            }
            position += entry.Length;
        }
        return entries;
    }

    /// <summary>The compressed payloads of a set's entries.</summary>
    public static IEnumerable<(Entry Entry, byte[] Payload)> CompressedPayloads(byte[] set) =>
        Entries(set).Where(e => e.Codec != CompressionType.None && e.PayloadLength > 0)
            .Select(e => (e, set.AsSpan(e.PayloadAt, e.PayloadLength).ToArray()));

    public static byte[] Decompress(CompressionType codec, byte[] payload)
    {
        using var output = new KafkaWriter();
        Compression.Decompress(codec, payload.AsSpan(), output, RecordSetReader.DefaultMaxBatchBytes);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The entry again with <paramref name="inner"/> compressed as its payload, its lengths and checksum made right:
    /// a mutation of the records inside a compressed batch that the codec and the CRC let through.
    /// </summary>
    public static byte[] Rebuild(byte[] set, Entry entry, byte[] inner)
    {
        using var compressed = new KafkaWriter();
        if (entry.Codec == CompressionType.Lz4 && entry.Magic == MagicV0)
        {
            Lz4FrameCodec.Compress(inner, compressed, level: null, brokenHeaderChecksum: true);
        }
        else
        {
            Compression.Compress(entry.Codec, inner, compressed);
        }
        var payload = compressed.WrittenSpan;
        var head = set.AsSpan(entry.Start, entry.PayloadAt - entry.Start);
        var rebuilt = new byte[head.Length + payload.Length];
        head.CopyTo(rebuilt);
        payload.CopyTo(rebuilt.AsSpan(head.Length));
        BinaryPrimitives.WriteInt32BigEndian(rebuilt.AsSpan(BatchLengthOffset), rebuilt.Length - LogOverhead);
        if (entry.Magic <= MagicV1)
        {
            BinaryPrimitives.WriteInt32BigEndian(rebuilt.AsSpan(head.Length - 4), payload.Length); // the value length
        }
        FixChecksums(rebuilt);
        return rebuilt;
    }

    /// <summary>
    /// Recomputes the header checksum of an LZ4 frame at the start of <paramref name="payload"/> after a mutation, so
    /// that the decoder reads the (mutated) frame and block descriptors instead of stopping at the checksum.
    /// </summary>
    public static byte[] FixLz4HeaderChecksum(byte[] payload)
    {
        if (payload.Length < 7 || BinaryPrimitives.ReadUInt32LittleEndian(payload) != 0x184D2204)
        {
            return payload;
        }
        var descriptorLength = 2 + ((payload[4] & 0x08) != 0 ? 8 : 0);
        if (payload.Length < 4 + descriptorLength + 1)
        {
            return payload;
        }
        payload[4 + descriptorLength] = (byte)(XxHash32.HashToUInt32(payload.AsSpan(4, descriptorLength)) >> 8);
        return payload;
    }

    /// <summary>
    /// Recomputes the checksum of every entry whose size still fits, after a mutation, so that a reader that checks
    /// CRCs goes past them into the records.
    /// </summary>
    public static byte[] FixChecksums(byte[] set)
    {
        for (var position = 0; set.Length - position >= LogOverhead + LegacyMinMessageSizeV0;)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(set.AsSpan(position + BatchLengthOffset));
            if (size < LegacyMinMessageSizeV0 || size > set.Length - position - LogOverhead)
            {
                break;
            }
            var entry = set.AsSpan(position, LogOverhead + size);
            if (entry[MagicOffset] == MagicV2 && entry.Length >= BatchHeaderSize)
            {
                BinaryPrimitives.WriteUInt32BigEndian(entry[CrcOffset..], Crc32C.Compute(entry[AttributesOffset..]));
            }
            else if (entry[MagicOffset] <= MagicV1)
            {
                BinaryPrimitives.WriteUInt32BigEndian(entry[LogOverhead..], Crc32.HashToUInt32(entry[(LogOverhead + LegacyCrcSize)..]));
            }
            position += entry.Length;
        }
        return set;
    }
}
