using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using Kafka.Buffers;

namespace Kafka.Client.Protocol;

/// <summary>
/// An owned, growable write buffer for Kafka's big-endian wire encoding. One writer is reused for many
/// requests (<see cref="Reset"/>), so encoding a request allocates nothing once the buffer has grown to size.
/// Its memory is rented from <see cref="ArrayPool{T}"/> and returned on <see cref="Dispose"/>.
/// </summary>
internal sealed class KafkaWriter : IBufferWriter<byte>, IDisposable
{
    private PooledByteBuffer _bytes;

    public KafkaWriter(int initialCapacity = 4096) => _bytes = new PooledByteBuffer(Math.Max(initialCapacity, 64));

    /// <summary>A writer whose arrays come from, and go back to, <paramref name="pool"/>.</summary>
    public KafkaWriter(int initialCapacity, ArrayPool<byte> pool) => _bytes = new PooledByteBuffer(Math.Max(initialCapacity, 64), pool);

    /// <summary>The number of bytes written since the last <see cref="Reset"/>.</summary>
    public int Position => _bytes.Position;

    public ReadOnlySpan<byte> WrittenSpan => _bytes.Written;

    public ReadOnlyMemory<byte> WrittenMemory => _bytes.WrittenMemory;

    /// <summary>Forgets what was written; keeps the buffer.</summary>
    public void Reset() => _bytes.Reset();

    public void Dispose() => _bytes.Return();

    /// <summary>Lets go of the buffer without returning it to its pool (the GC takes it back); writing again rents a new one.</summary>
    public void Abandon() => _bytes.Detach(out _);

    // IBufferWriter<byte>: lets codecs (compression, serializers) write straight into the request buffer.
    public void Advance(int count) => _bytes.Advance(count);

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        _bytes.Ensure(Math.Max(sizeHint, 1));
        return _bytes.FreeMemory;
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        _bytes.Ensure(Math.Max(sizeHint, 1));
        return _bytes.Free;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Take(int count) => _bytes.Take(count);

    public void WriteInt8(sbyte value) => Take(1)[0] = (byte)value;

    public void WriteUInt8(byte value) => Take(1)[0] = value;

    public void WriteBoolean(bool value) => Take(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Take(2), value);

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Take(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Take(4), value);

    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Take(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Take(8), value);

    public void WriteFloat64(double value) => BinaryPrimitives.WriteDoubleBigEndian(Take(8), value);

    /// <summary>A Kafka UUID: the 128 bits most significant first (Java's UUID order).</summary>
    public void WriteUuid(Guid value)
    {
        if (!value.TryWriteBytes(Take(16), bigEndian: true, out _))
        {
            throw new InvalidOperationException("Could not write a UUID.");
        }
    }

    /// <summary>An unsigned LEB128 variable-length integer (lengths in flexible versions, tag numbers).</summary>
    public void WriteUnsignedVarInt(uint value) => WriteUnsignedVarLong(value);

    public void WriteUnsignedVarLong(ulong value)
    {
        _bytes.Ensure(10);
        var span = _bytes.Free;
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        _bytes.Advance(i);
    }

    /// <summary>A zig-zag signed variable-length integer, as in record batch v2.</summary>
    public void WriteVarInt(int value) => WriteUnsignedVarInt((uint)((value << 1) ^ (value >> 31)));

    public void WriteVarLong(long value) => WriteUnsignedVarLong((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>A non-null string: int16 length (classic) or unsigned varint length + 1 (compact).</summary>
    public void WriteString(string value, bool compact)
    {
        ArgumentNullException.ThrowIfNull(value);
        WriteNullableString(value, compact);
    }

    /// <summary>A nullable string: length -1 (classic) or 0 (compact) for null.</summary>
    public void WriteNullableString(string? value, bool compact)
    {
        if (value is null)
        {
            if (compact)
            {
                WriteUnsignedVarInt(0);
            }
            else
            {
                WriteInt16(-1);
            }
            return;
        }
        var length = Encoding.UTF8.GetByteCount(value);
        if (compact)
        {
            WriteUnsignedVarInt((uint)length + 1);
        }
        else
        {
            if (length > short.MaxValue)
            {
                throw new ArgumentException($"A string of {length} bytes does not fit a Kafka string (at most {short.MaxValue}).", nameof(value));
            }
            WriteInt16((short)length);
        }
        Encoding.UTF8.GetBytes(value, Take(length));
    }

    /// <summary>Non-null bytes: int32 length (classic) or unsigned varint length + 1 (compact).</summary>
    public void WriteBytes(ReadOnlySpan<byte> value, bool compact)
    {
        if (compact)
        {
            WriteUnsignedVarInt((uint)value.Length + 1);
        }
        else
        {
            WriteInt32(value.Length);
        }
        value.CopyTo(Take(value.Length));
    }

    /// <summary>Nullable bytes: a null <paramref name="value"/> is written as length -1 (classic) or 0 (compact).</summary>
    public void WriteNullableBytes(ReadOnlyMemory<byte>? value, bool compact)
    {
        if (value is null)
        {
            if (compact)
            {
                WriteUnsignedVarInt(0);
            }
            else
            {
                WriteInt32(-1);
            }
            return;
        }
        WriteBytes(value.Value.Span, compact);
    }

    /// <summary>An array length: int32 (classic) or unsigned varint count + 1 (compact); -1 means a null array.</summary>
    public void WriteArrayLength(int count, bool compact)
    {
        if (count < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
        if (compact)
        {
            WriteUnsignedVarInt((uint)(count + 1));
        }
        else
        {
            WriteInt32(count);
        }
    }

    /// <summary>The tagged-field section of a flexible struct with no tagged fields set.</summary>
    public void WriteEmptyTaggedFields() => WriteUInt8(0);

    /// <summary>An empty tagged-field section when <paramref name="flexible"/>; nothing in classic versions.</summary>
    public void WriteEmptyTaggedFieldsIf(bool flexible)
    {
        if (flexible)
        {
            WriteUInt8(0);
        }
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Take(bytes.Length));

    /// <summary>Reserves four bytes to be filled in later with <see cref="PatchInt32"/> (sizes, CRCs).</summary>
    public int ReserveInt32()
    {
        var position = _bytes.Position;
        Take(4);
        return position;
    }

    public void PatchInt32(int position, int value) =>
        BinaryPrimitives.WriteInt32BigEndian(_bytes.Rewrite(position, 4), value);

    public void PatchInt16(int position, short value) =>
        BinaryPrimitives.WriteInt16BigEndian(_bytes.Rewrite(position, 2), value);

    public void PatchInt64(int position, long value) =>
        BinaryPrimitives.WriteInt64BigEndian(_bytes.Rewrite(position, 8), value);

    /// <summary>The bytes written from <paramref name="start"/> to the current position.</summary>
    public ReadOnlySpan<byte> WrittenSince(int start) => _bytes.WrittenSince(start);
}
