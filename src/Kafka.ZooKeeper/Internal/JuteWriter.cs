using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Kafka.Buffers;

namespace Kafka.ZooKeeper.Internal;

/// <summary>
/// Writes jute's big-endian encoding into a buffer rented from <see cref="ArrayPool{T}"/>, growing it as needed.
/// The finished buffer is handed over with <see cref="Detach"/>; otherwise <see cref="Dispose"/> returns it.
/// </summary>
internal ref struct JuteWriter
{
    private PooledByteBuffer _bytes;

    public JuteWriter(int initialCapacity) => _bytes = new PooledByteBuffer(initialCapacity);

    public readonly int Position => _bytes.Position;

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(_bytes.Take(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(_bytes.Take(8), value);

    public void WriteBoolean(bool value) => _bytes.Take(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        value.CopyTo(_bytes.Take(value.Length));
    }

    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt32(length);
        Encoding.UTF8.GetBytes(value, _bytes.Take(length));
    }

    public readonly void PatchInt32(int offset, int value) => BinaryPrimitives.WriteInt32BigEndian(_bytes.Rewrite(offset, 4), value);

    /// <summary>Hands the pooled buffer to the caller, who must return it to the shared pool.</summary>
    public byte[] Detach(out int length) => _bytes.Detach(out length);

    public void Dispose() => _bytes.Return();
}
