using System.Buffers;

namespace Kafka.Client.Internal;

/// <summary>
/// One response as received: a pooled buffer holding the frame after its size field (correlation id, header
/// tagged fields, body). Whoever ends up holding it disposes it, returning the buffer to the pool.
/// </summary>
internal sealed class ResponseFrame : IDisposable
{
    private byte[]? _buffer;

    public ResponseFrame(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => (_buffer ?? throw new ObjectDisposedException(nameof(ResponseFrame))).AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(ResponseFrame))).AsMemory(0, Length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            FrameBufferPool.Instance.Return(buffer);
        }
    }
}
