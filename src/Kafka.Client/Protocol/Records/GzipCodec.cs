using System.Buffers;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace Kafka.Client.Protocol.Records;

/// <summary>gzip through <see cref="GZipStream"/>; concatenated gzip members decode as one stream.</summary>
internal static class GzipCodec
{
    /// <summary>zlib's own default, which the Java client and librdkafka also use.</summary>
    public const int DefaultLevel = 6;

    private const int ReadChunk = 16 * 1024;

    public static int Compress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int? level)
    {
        var options = new ZLibCompressionOptions { CompressionLevel = Math.Clamp(level ?? DefaultLevel, 0, 9) };
        var sink = new BufferWriterStream(output);
        using (var gzip = new GZipStream(sink, options, leaveOpen: true))
        {
            gzip.Write(input);
        }
        return (int)sink.Written;
    }

    public static int Decompress(ReadOnlyMemory<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        // GZipStream reads from a Stream; an array-backed input needs no copy.
        if (MemoryMarshal.TryGetArray(input, out var segment) && segment.Array is not null)
        {
            return Decompress(segment.Array, segment.Offset, segment.Count, output, maxOutputBytes);
        }
        var rented = ArrayPool<byte>.Shared.Rent(input.Length);
        try
        {
            input.Span.CopyTo(rented);
            return Decompress(rented, 0, input.Length, output, maxOutputBytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public static int Decompress(ReadOnlySpan<byte> input, IBufferWriter<byte> output, int maxOutputBytes)
    {
        var rented = ArrayPool<byte>.Shared.Rent(input.Length);
        try
        {
            input.CopyTo(rented);
            return Decompress(rented, 0, input.Length, output, maxOutputBytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int Decompress(byte[] array, int offset, int count, IBufferWriter<byte> output, int maxOutputBytes)
    {
        using var source = new MemoryStream(array, offset, count, writable: false);
        using var gzip = new GZipStream(source, CompressionMode.Decompress);
        var total = 0;
        try
        {
            while (true)
            {
                // Never ask for more than one byte past the limit, so a bomb stops after at most one chunk.
                var room = maxOutputBytes - total;
                var span = output.GetSpan(ReadChunk);
                if (span.Length > room)
                {
                    span = span[..(room + 1)];
                }
                var read = gzip.Read(span);
                if (read == 0)
                {
                    return total;
                }
                if (read > room)
                {
                    throw Compression.LimitExceeded(CompressionType.Gzip, maxOutputBytes);
                }
                output.Advance(read);
                total += read;
            }
        }
        catch (InvalidDataException e)
        {
            throw Compression.Corrupt(CompressionType.Gzip, e.Message, e);
        }
    }
}
