using System.Buffers;

namespace Kafka.Client.Protocol.Records;

/// <summary>
/// The record codecs behind one entry point. Decompression is always bounded: data that would decode to more
/// than the caller's limit stops with a <see cref="KafkaProtocolException"/> after at most one more chunk, so a
/// hostile broker cannot make the client allocate without bound.
/// </summary>
internal static class Compression
{
    /// <summary>
    /// Compresses <paramref name="input"/> into <paramref name="output"/>; returns the bytes written.
    /// <paramref name="level"/> is codec-specific, null for the codec's default; snappy has none.
    /// </summary>
    public static int Compress(CompressionType type, ReadOnlySpan<byte> input, IBufferWriter<byte> output, int? level = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (type)
        {
            case CompressionType.None:
                output.Write(input);
                return input.Length;
            case CompressionType.Gzip:
                return GzipCodec.Compress(input, output, level);
            case CompressionType.Snappy:
                return SnappyCodec.Compress(input, output);
            case CompressionType.Lz4:
                return Lz4FrameCodec.Compress(input, output, level);
            case CompressionType.Zstd:
                return ZstdCodec.Compress(input, output, level);
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown compression type.");
        }
    }

    /// <summary>
    /// Decompresses <paramref name="input"/> into <paramref name="output"/>; returns the bytes written.
    /// </summary>
    /// <exception cref="KafkaProtocolException">The data is malformed, or decodes to more than <paramref name="maxOutputBytes"/>.</exception>
    public static int Decompress(CompressionType type, ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputBytes);
        if (input.IsEmpty && type != CompressionType.None)
        {
            return 0; // an empty records section (a fully compacted batch) has nothing to decode
        }
        return type switch
        {
            CompressionType.None => CopyBounded(input, output, maxOutputBytes),
            CompressionType.Gzip => GzipCodec.Decompress(input, output, maxOutputBytes),
            CompressionType.Snappy => SnappyCodec.Decompress(input, output, maxOutputBytes),
            CompressionType.Lz4 => Lz4FrameCodec.Decompress(input, output, maxOutputBytes),
            CompressionType.Zstd => ZstdCodec.Decompress(input, output, maxOutputBytes),
            _ => throw new KafkaProtocolException($"Unknown compression codec {(int)type}."),
        };
    }

    /// <summary>As the span overload; gzip reads an array-backed <paramref name="input"/> without copying it.</summary>
    public static int Decompress(CompressionType type, ReadOnlyMemory<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        if (type == CompressionType.Gzip && !input.IsEmpty)
        {
            ArgumentNullException.ThrowIfNull(output);
            ArgumentOutOfRangeException.ThrowIfNegative(maxOutputBytes);
            return GzipCodec.Decompress(input, output, maxOutputBytes);
        }
        return Decompress(type, input.Span, output, maxOutputBytes);
    }

    /// <summary>
    /// An upper bound of the compressed size of <paramref name="inputLength"/> bytes, for keeping requests under
    /// a size limit before compressing.
    /// </summary>
    public static int MaxCompressedLength(CompressionType type, int inputLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputLength);
        long n = inputLength;
        var bound = type switch
        {
            CompressionType.None => n,
            // Stored deflate blocks add 5 bytes per 16 KiB at worst; gzip adds an 18-byte header and trailer.
            CompressionType.Gzip => n + (n >> 12) * 5 + 5 + 18 + 64,
            CompressionType.Snappy => SnappyCodec.MaxCompressedLength(inputLength),
            CompressionType.Lz4 => Lz4FrameCodec.MaxCompressedLength(inputLength),
            CompressionType.Zstd => ZstdCodec.MaxCompressedLength(inputLength),
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown compression type."),
        };
        return (int)Math.Min(bound, int.MaxValue);
    }

    internal static KafkaProtocolException LimitExceeded(CompressionType type, int maxOutputBytes) =>
        new($"The {Name(type)} decompressed size exceeds the limit of {maxOutputBytes} bytes; refusing to decode further.");

    internal static KafkaProtocolException Corrupt(CompressionType type, string detail, Exception? inner = null) =>
        new($"Corrupt {Name(type)} data: {detail}.", inner);

    internal static string Name(CompressionType type) => type switch
    {
        CompressionType.None => "uncompressed",
        CompressionType.Gzip => "gzip",
        CompressionType.Snappy => "snappy",
        CompressionType.Lz4 => "lz4",
        CompressionType.Zstd => "zstd",
        _ => $"codec {(int)type}",
    };

    private static int CopyBounded(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        if (input.Length > maxOutputBytes)
        {
            throw LimitExceeded(CompressionType.None, maxOutputBytes);
        }
        output.Write(input);
        return input.Length;
    }
}
