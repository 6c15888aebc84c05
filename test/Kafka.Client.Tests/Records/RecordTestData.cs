using System.Buffers;
using System.Text;

namespace Kafka.Client.Tests.Records;

/// <summary>Inputs for the codec and record tests, and a buffer writer that records what a codec asked of it.</summary>
internal static class RecordTestData
{
    public static byte[] Text(int length)
    {
        var words = new[] { "kafka ", "record ", "batch ", "offset ", "partition ", "leader ", "epoch ", "snappy " };
        var builder = new StringBuilder(length + 16);
        var x = 1u;
        while (builder.Length < length)
        {
            x = x * 1664525 + 1013904223;
            builder.Append(words[x >> 29]);
        }
        return Encoding.ASCII.GetBytes(builder.ToString(0, length));
    }

    public static byte[] Random(int length, int seed = 7)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The 1 KiB the lz4 linked-block vector was made from: a C library rand()-style LCG.</summary>
    public static byte[] LinkedBlockInput()
    {
        var tail = new byte[1024];
        var x = 12345L;
        for (var i = 0; i < tail.Length; i++)
        {
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF;
            tail[i] = (byte)(x >> 16);
        }
        var data = new byte[65536 - 1024 + 2048];
        tail.CopyTo(data, 65536 - 1024);
        tail.CopyTo(data, 65536);
        return data;
    }
}

/// <summary>An <see cref="IBufferWriter{T}"/> that records the most memory it was asked for.</summary>
internal sealed class TrackingBufferWriter : IBufferWriter<byte>
{
    private readonly ArrayBufferWriter<byte> _inner = new();

    public long LargestRequest { get; private set; }

    public int WrittenCount => _inner.WrittenCount;

    public ReadOnlySpan<byte> WrittenSpan => _inner.WrittenSpan;

    public void Advance(int count) => _inner.Advance(count);

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        LargestRequest = Math.Max(LargestRequest, sizeHint);
        return _inner.GetMemory(sizeHint);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        LargestRequest = Math.Max(LargestRequest, sizeHint);
        return _inner.GetSpan(sizeHint);
    }
}
