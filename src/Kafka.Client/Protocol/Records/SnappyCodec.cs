using System.Buffers;
using System.Buffers.Binary;
using Snappier;

namespace Kafka.Client.Protocol.Records;

/// <summary>
/// Snappy as Kafka uses it. Writing produces the xerial (snappy-java) stream framing, which the Java client and
/// librdkafka read: a 16-byte header (0x82 "SNAPPY" 0x00, big-endian version 1 and compatible version 1), then
/// blocks of big-endian int32 length + raw snappy block. Reading accepts that framing and also a bare raw snappy
/// block, which some clients write.
/// </summary>
internal static class SnappyCodec
{
    /// <summary>snappy-java's default block size, which Kafka's Java producer keeps.</summary>
    public const int BlockSize = 32 * 1024;

    public const int HeaderSize = 16;

    /// <summary>
    /// The most a snappy block decodes to per byte of it: its densest element, a copy with a two-byte offset, writes
    /// 64 bytes from 3 (literals and the other copies yield less).
    /// </summary>
    private const long MaxExpansion = 22;

    private static ReadOnlySpan<byte> Magic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    public static int Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        var header = output.GetSpan(HeaderSize);
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], 1);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], 1);
        output.Advance(HeaderSize);
        var total = HeaderSize;
        while (!input.IsEmpty)
        {
            var block = input[..Math.Min(BlockSize, input.Length)];
            input = input[block.Length..];
            var span = output.GetSpan(4 + Snappy.GetMaxCompressedLength(block.Length));
            var written = Snappy.Compress(block, span[4..]);
            BinaryPrimitives.WriteInt32BigEndian(span, written);
            output.Advance(4 + written);
            total += 4 + written;
        }
        return total;
    }

    public static int MaxCompressedLength(int inputLength)
    {
        var blocks = (inputLength + BlockSize - 1) / BlockSize;
        var full = inputLength / BlockSize;
        var tail = inputLength - full * BlockSize;
        var bound = (long)HeaderSize + full * (4L + Snappy.GetMaxCompressedLength(BlockSize));
        if (blocks > full)
        {
            bound += 4L + Snappy.GetMaxCompressedLength(tail);
        }
        return (int)Math.Min(bound, int.MaxValue);
    }

    /// <summary>True when <paramref name="input"/> starts with the xerial stream header.</summary>
    public static bool IsXerialFramed(ReadOnlySpan<byte> input) => input.Length >= HeaderSize && input.StartsWith(Magic);

    public static int Decompress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        if (!IsXerialFramed(input))
        {
            return DecompressBlock(input, output, maxOutputBytes, 0);
        }
        // The version fields are not checked: every writer uses 1/1 and the blocks are self-describing.
        var position = HeaderSize;
        var total = 0;
        while (position < input.Length)
        {
            if (input.Length - position < 4)
            {
                throw Compression.Corrupt(CompressionType.Snappy, $"a truncated block length at byte {position}");
            }
            var length = BinaryPrimitives.ReadInt32BigEndian(input[position..]);
            position += 4;
            if (length < 0 || length > input.Length - position)
            {
                throw Compression.Corrupt(CompressionType.Snappy,
                    $"a block length of {length} at byte {position - 4} with {input.Length - position} bytes left");
            }
            total += DecompressBlock(input.Slice(position, length), output, maxOutputBytes, total);
            position += length;
        }
        return total;
    }

    private static int DecompressBlock(ReadOnlySpan<byte> block, IBufferWriter<byte> output, int maxOutputBytes, int alreadyWritten)
    {
        int length;
        try
        {
            length = Snappy.GetUncompressedLength(block);
        }
        catch (InvalidDataException e)
        {
            throw Compression.Corrupt(CompressionType.Snappy, e.Message, e);
        }
        // The block states its size up front: refuse before allocating anything for it, both a size past the limit and
        // one the block is too short to decode to (so that a few bytes cannot make the reader allocate the limit).
        if (length < 0 || length > maxOutputBytes - alreadyWritten)
        {
            throw Compression.LimitExceeded(CompressionType.Snappy, maxOutputBytes);
        }
        if (length > MaxExpansion * block.Length)
        {
            throw Compression.Corrupt(CompressionType.Snappy, $"a block of {block.Length} bytes that claims to decode to {length}");
        }
        if (length == 0)
        {
            return 0;
        }
        var target = output.GetSpan(length)[..length];
        int written;
        try
        {
            written = Snappy.Decompress(block, target);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            throw Compression.Corrupt(CompressionType.Snappy, e.Message, e);
        }
        if (written != length)
        {
            throw Compression.Corrupt(CompressionType.Snappy, $"a block that decoded to {written} bytes instead of the {length} it declared");
        }
        output.Advance(written);
        return written;
    }
}
