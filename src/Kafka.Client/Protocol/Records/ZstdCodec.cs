using System.Buffers;
using ZstdSharp;

namespace Kafka.Client.Protocol.Records;

/// <summary>
/// Zstandard through ZstdSharp. Compression writes one standard frame with its content size; decompression
/// streams, so frames with and without a content size (and concatenated frames) are read within the limit.
/// </summary>
internal static class ZstdCodec
{
    /// <summary>zstd's own default level, which the Java client and librdkafka also use.</summary>
    public const int DefaultLevel = 3;

    private const int ReadChunk = 64 * 1024;

    // The contexts are large; one per thread is reused rather than one per batch.
    [ThreadStatic]
    private static Compressor? t_compressor;

    [ThreadStatic]
    private static Decompressor? t_decompressor;

    public static int Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int? level)
    {
        var compressor = t_compressor ??= new Compressor(DefaultLevel);
        var wanted = Math.Clamp(level ?? DefaultLevel, Compressor.MinCompressionLevel, Compressor.MaxCompressionLevel);
        if (compressor.Level != wanted)
        {
            compressor.Level = wanted;
        }
        var span = output.GetSpan(Compressor.GetCompressBound(input.Length));
        var written = compressor.Wrap(input, span);
        output.Advance(written);
        return written;
    }

    public static int MaxCompressedLength(int inputLength) => Compressor.GetCompressBound(inputLength);

    public static int Decompress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        ulong declared;
        try
        {
            declared = Decompressor.GetDecompressedSize(input);
        }
        catch (ZstdException)
        {
            declared = ulong.MaxValue; // unknown: let streaming decide, and report, whether the data is sound
        }
        // A size of ulong.MaxValue or ulong.MaxValue - 1 means unknown or invalid, not a real size.
        if (declared < ulong.MaxValue - 1 && declared > (ulong)maxOutputBytes)
        {
            throw Compression.LimitExceeded(CompressionType.Zstd, maxOutputBytes);
        }

        var decompressor = t_decompressor ??= new Decompressor();
        decompressor.ResetStream(); // a previous call may have stopped mid-frame
        var total = 0;
        try
        {
            while (true)
            {
                // Never offer more than one byte past the limit.
                var room = maxOutputBytes - total;
                var span = output.GetSpan(ReadChunk);
                if (span.Length > room)
                {
                    span = span[..(room + 1)];
                }
                var status = decompressor.UnwrapStream(input, span, out var consumed, out var written);
                input = input[consumed..];
                if (written > room)
                {
                    throw Compression.LimitExceeded(CompressionType.Zstd, maxOutputBytes);
                }
                output.Advance(written);
                total += written;
                switch (status)
                {
                    case OperationStatus.Done when input.IsEmpty:
                        return total;
                    case OperationStatus.InvalidData:
                        throw Compression.Corrupt(CompressionType.Zstd, "malformed data");
                    case OperationStatus.NeedMoreData when input.IsEmpty:
                        throw Compression.Corrupt(CompressionType.Zstd, "a truncated frame");
                }
                if (consumed == 0 && written == 0 && status != OperationStatus.DestinationTooSmall)
                {
                    throw Compression.Corrupt(CompressionType.Zstd, "data the decoder cannot make progress on");
                }
            }
        }
        catch (ZstdException e)
        {
            decompressor.ResetStream();
            throw Compression.Corrupt(CompressionType.Zstd, e.Message, e);
        }
    }
}
