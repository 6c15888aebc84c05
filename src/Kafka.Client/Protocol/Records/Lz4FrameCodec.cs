using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using K4os.Compression.LZ4;

namespace Kafka.Client.Protocol.Records;

/// <summary>
/// The LZ4 frame format (LZ4F), which Kafka uses since 0.10 (KIP-57), over K4os' raw block codec. Frames are
/// parsed here so that output is bounded block by block and the pre-0.10 "broken" header checksum can be both
/// read and, for magic 0 message sets, written.
/// </summary>
/// <remarks>
/// Written frames match what Kafka's Java producer writes: independent 64 KiB blocks, no block or content
/// checksums, no content size. Read frames may use any block size, linked blocks, block checksums (verified),
/// a content checksum (skipped: the batch CRC already covers the bytes), a content size, and skippable frames.
/// </remarks>
internal static class Lz4FrameCodec
{
    private const uint FrameMagic = 0x184D2204;
    private const uint SkippableMagicMask = 0xFFFFFFF0;
    private const uint SkippableMagic = 0x184D2A50;
    private const int BlockSize = 64 * 1024;
    private const int WindowSize = 64 * 1024;

    // FLG: version 01, independent blocks. BD: 64 KiB maximum block size.
    private const byte WrittenFlags = 0x60;
    private const byte WrittenBlockDescriptor = 0x40;

    private const byte FlagBlockIndependence = 0x20;
    private const byte FlagBlockChecksum = 0x10;
    private const byte FlagContentSize = 0x08;
    private const byte FlagContentChecksum = 0x04;
    private const byte FlagReserved = 0x02;
    private const byte FlagDictionaryId = 0x01;

    private const uint UncompressedBit = 0x80000000;

    /// <summary>
    /// The most an LZ4 block decodes to per byte of it: a match's length grows by 255 for each extra length byte, and
    /// no other part of a sequence yields more output than it takes input.
    /// </summary>
    private const long MaxExpansion = 255;

    /// <summary>
    /// Compresses into one frame. With <paramref name="brokenHeaderChecksum"/> the header checksum covers the
    /// magic number too, as Kafka before 0.10 computed it; brokers of that age require it in magic 0 message sets.
    /// </summary>
    public static int Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int? level, bool brokenHeaderChecksum = false)
    {
        var lz4Level = ToLevel(level);
        var header = output.GetSpan(7);
        BinaryPrimitives.WriteUInt32LittleEndian(header, FrameMagic);
        header[4] = WrittenFlags;
        header[5] = WrittenBlockDescriptor;
        header[6] = HeaderChecksum(brokenHeaderChecksum ? header[..6] : header[4..6]);
        output.Advance(7);
        var total = 7;
        while (!input.IsEmpty)
        {
            var block = input[..Math.Min(BlockSize, input.Length)];
            input = input[block.Length..];
            var span = output.GetSpan(4 + Math.Max(LZ4Codec.MaximumOutputSize(block.Length), block.Length));
            var written = LZ4Codec.Encode(block, span[4..], lz4Level);
            if (written <= 0 || written >= block.Length)
            {
                // Incompressible: store the block as it is, as the format allows.
                block.CopyTo(span[4..]);
                BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)block.Length | UncompressedBit);
                written = block.Length;
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)written);
            }
            output.Advance(4 + written);
            total += 4 + written;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(output.GetSpan(4), 0); // end mark
        output.Advance(4);
        return total + 4;
    }

    public static int MaxCompressedLength(int inputLength)
    {
        var blocks = ((long)inputLength + BlockSize - 1) / BlockSize;
        return (int)Math.Min(7L + inputLength + 4 * blocks + 4, int.MaxValue);
    }

    public static int Decompress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        var total = 0;
        var position = 0;
        byte[]? window = null;
        try
        {
            while (position < input.Length)
            {
                if (input.Length - position < 4)
                {
                    throw Corrupt($"{input.Length - position} stray bytes after the last frame");
                }
                var magic = BinaryPrimitives.ReadUInt32LittleEndian(input[position..]);
                if ((magic & SkippableMagicMask) == SkippableMagic)
                {
                    position = SkipFrame(input, position);
                    continue;
                }
                if (magic != FrameMagic)
                {
                    throw Corrupt($"magic 0x{magic:X8} at byte {position} is not an LZ4 frame");
                }
                total += DecompressFrame(input, ref position, output, maxOutputBytes, total, ref window);
            }
            return total;
        }
        finally
        {
            if (window is not null)
            {
                ArrayPool<byte>.Shared.Return(window);
            }
        }
    }

    private static int SkipFrame(ReadOnlySpan<byte> input, int position)
    {
        if (input.Length - position < 8)
        {
            throw Corrupt($"a truncated skippable frame at byte {position}");
        }
        var size = BinaryPrimitives.ReadUInt32LittleEndian(input[(position + 4)..]);
        if (size > (uint)(input.Length - position - 8))
        {
            throw Corrupt($"a skippable frame of {size} bytes at byte {position} runs past the input");
        }
        return position + 8 + (int)size;
    }

    private static int DecompressFrame(
        ReadOnlySpan<byte> input, ref int position, IBufferWriter<byte> output, int maxOutputBytes, int alreadyWritten, ref byte[]? window)
    {
        var frameStart = position;
        if (input.Length - position < 7)
        {
            throw Corrupt($"a truncated frame header at byte {position}");
        }
        var flags = input[position + 4];
        var descriptor = input[position + 5];
        if (flags >> 6 != 1 || (flags & FlagReserved) != 0)
        {
            throw Corrupt($"unsupported frame flags 0x{flags:X2}");
        }
        var sizeId = (descriptor >> 4) & 0x7;
        if (sizeId < 4 || (descriptor & 0x8F) != 0)
        {
            throw Corrupt($"an invalid block descriptor 0x{descriptor:X2}");
        }
        if ((flags & FlagDictionaryId) != 0)
        {
            throw Corrupt("a frame that needs a preset dictionary");
        }
        var blockMax = 1 << (8 + 2 * sizeId); // 4: 64 KiB, 5: 256 KiB, 6: 1 MiB, 7: 4 MiB
        var hasContentSize = (flags & FlagContentSize) != 0;
        var descriptorLength = 2 + (hasContentSize ? 8 : 0);
        if (input.Length - position < 4 + descriptorLength + 1)
        {
            throw Corrupt($"a truncated frame header at byte {position}");
        }
        // Accept the standard checksum and the pre-0.10 Kafka one computed from the magic number on.
        var checksum = input[position + 4 + descriptorLength];
        if (checksum != HeaderChecksum(input.Slice(position + 4, descriptorLength))
            && checksum != HeaderChecksum(input.Slice(position, 4 + descriptorLength)))
        {
            throw Corrupt($"a frame header checksum mismatch at byte {position}");
        }
        long contentSize = -1;
        if (hasContentSize)
        {
            var declared = BinaryPrimitives.ReadUInt64LittleEndian(input[(position + 6)..]);
            if (declared > (ulong)(maxOutputBytes - alreadyWritten))
            {
                throw Compression.LimitExceeded(CompressionType.Lz4, maxOutputBytes);
            }
            contentSize = (long)declared;
        }
        position += 4 + descriptorLength + 1;

        var independent = (flags & FlagBlockIndependence) != 0;
        var blockChecksums = (flags & FlagBlockChecksum) != 0;
        var windowLength = 0;
        if (!independent)
        {
            window ??= ArrayPool<byte>.Shared.Rent(WindowSize);
        }
        var frameTotal = 0;
        while (true)
        {
            if (input.Length - position < 4)
            {
                throw Corrupt($"a frame starting at byte {frameStart} ends without an end mark");
            }
            var word = BinaryPrimitives.ReadUInt32LittleEndian(input[position..]);
            position += 4;
            if (word == 0)
            {
                break;
            }
            var stored = (word & UncompressedBit) != 0;
            var length = (int)(word & ~UncompressedBit);
            if (length > blockMax || length > input.Length - position - (blockChecksums ? 4 : 0))
            {
                throw Corrupt($"a block of {length} bytes at byte {position - 4} (maximum {blockMax}, {input.Length - position} left)");
            }
            var block = input.Slice(position, length);
            position += length;
            if (blockChecksums)
            {
                if (XxHash32.HashToUInt32(block) != BinaryPrimitives.ReadUInt32LittleEndian(input[position..]))
                {
                    throw Corrupt($"a block checksum mismatch at byte {position - length - 4}");
                }
                position += 4;
            }
            var room = maxOutputBytes - alreadyWritten - frameTotal;
            Span<byte> decoded;
            if (stored)
            {
                if (length > room)
                {
                    throw Compression.LimitExceeded(CompressionType.Lz4, maxOutputBytes);
                }
                decoded = output.GetSpan(length)[..length];
                block.CopyTo(decoded);
            }
            else
            {
                // Room for what this block can decode to, not for what the frame header says blocks may be: a block
                // decodes to at most its frame's block size, to at most 255 bytes per byte of it (LZ4's longest match
                // run), and past the limit only by the one byte that shows it was crossed. A descriptor promising
                // 4 MiB blocks must not make a few bytes of input take 4 MiB.
                var capacity = (int)Math.Min(Math.Min(blockMax, MaxExpansion * length), room + 1L);
                var target = output.GetSpan(capacity)[..capacity];
                var written = independent || windowLength == 0
                    ? LZ4Codec.Decode(block, target)
                    : LZ4Codec.Decode(block, target, window.AsSpan(0, windowLength));
                if (written < 0)
                {
                    // Too little room is how the decoder says a block runs past the limit.
                    throw capacity == room + 1L
                        ? Compression.LimitExceeded(CompressionType.Lz4, maxOutputBytes)
                        : Corrupt($"a malformed block at byte {position - length - 4}");
                }
                if (written > room)
                {
                    throw Compression.LimitExceeded(CompressionType.Lz4, maxOutputBytes);
                }
                decoded = target[..written];
            }
            if (!independent)
            {
                windowLength = Slide(window!, windowLength, decoded);
            }
            output.Advance(decoded.Length);
            frameTotal += decoded.Length;
        }
        if ((flags & FlagContentChecksum) != 0)
        {
            if (input.Length - position < 4)
            {
                throw Corrupt("a truncated content checksum");
            }
            position += 4;
        }
        if (contentSize >= 0 && contentSize != frameTotal)
        {
            throw Corrupt($"a frame that decoded to {frameTotal} bytes instead of the {contentSize} it declared");
        }
        return frameTotal;
    }

    /// <summary>Keeps the last 64 KiB of output, which linked blocks may refer back to.</summary>
    private static int Slide(byte[] window, int windowLength, ReadOnlySpan<byte> decoded)
    {
        if (decoded.Length >= WindowSize)
        {
            decoded[^WindowSize..].CopyTo(window);
            return WindowSize;
        }
        var keep = Math.Min(windowLength, WindowSize - decoded.Length);
        window.AsSpan(windowLength - keep, keep).CopyTo(window); // overlapping moves are safe
        decoded.CopyTo(window.AsSpan(keep));
        return keep + decoded.Length;
    }

    private static byte HeaderChecksum(ReadOnlySpan<byte> bytes) => (byte)(XxHash32.HashToUInt32(bytes) >> 8);

    private static LZ4Level ToLevel(int? level) => level switch
    {
        null or < 3 => LZ4Level.L00_FAST,
        > 12 => LZ4Level.L12_MAX,
        _ => (LZ4Level)level.Value,
    };

    private static KafkaProtocolException Corrupt(string detail) => Compression.Corrupt(CompressionType.Lz4, detail);
}
