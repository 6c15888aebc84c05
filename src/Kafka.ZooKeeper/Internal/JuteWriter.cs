using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Kafka.ZooKeeper.Internal;

/// <summary>
/// Writes jute's big-endian encoding into a buffer rented from <see cref="ArrayPool{T}"/>, growing it as needed.
/// The finished buffer is handed over with <see cref="Detach"/>; otherwise <see cref="Dispose"/> returns it.
/// </summary>
internal ref struct JuteWriter
{
    private byte[] _buffer;
    private int _position;

    public JuteWriter(int initialCapacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
        _position = 0;
    }

    public readonly int Position => _position;

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Take(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Take(8), value);

    public void WriteBoolean(bool value) => Take(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        value.CopyTo(Take(value.Length));
    }

    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt32(length);
        Encoding.UTF8.GetBytes(value, Take(length));
    }

    public readonly void PatchInt32(int offset, int value) =>
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(offset, 4), value);

    /// <summary>Hands the pooled buffer to the caller, who must return it to the shared pool.</summary>
    public byte[] Detach(out int length)
    {
        var buffer = _buffer;
        length = _position;
        _buffer = [];
        _position = 0;
        return buffer;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _position = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private Span<byte> Take(int count)
    {
        if (_buffer.Length - _position < count)
        {
            Grow(count);
        }
        var span = _buffer.AsSpan(_position, count);
        _position += count;
        return span;
    }

    private void Grow(int count)
    {
        var next = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + count));
        _buffer.AsSpan(0, _position).CopyTo(next);
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
        _buffer = next;
    }
}
