using System.Buffers.Binary;
using System.Text;

namespace Kafka.Testing.Internal;

/// <summary>
/// The little of the Kafka wire format the answering proxy needs, written apart from any client's codecs: request
/// headers, the primitives of request and response bodies, and a growable writer.
/// </summary>
internal ref struct FrameReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;

    public int Position { get; private set; }

    public readonly int Remaining => _buffer.Length - Position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw new InvalidDataException($"A field of {count} bytes at position {Position} runs past the {_buffer.Length}-byte frame.");
        }
        var slice = _buffer.Slice(Position, count);
        Position += count;
        return slice;
    }

    public sbyte Int8() => (sbyte)Take(1)[0];

    public bool Bool() => Take(1)[0] != 0;

    public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public Guid Uuid() => new(Take(16), bigEndian: true);

    public uint UVarInt()
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = Take(1)[0];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new InvalidDataException("A varint longer than 5 bytes.");
    }

    public string? String(bool compact)
    {
        var length = compact ? (int)UVarInt() - 1 : Int16();
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    public int ArrayLength(bool compact) => compact ? (int)UVarInt() - 1 : Int32();

    public void SkipTags(bool flexible)
    {
        if (!flexible)
        {
            return;
        }
        var count = UVarInt();
        for (var i = 0; i < count; i++)
        {
            UVarInt();
            Take((int)UVarInt());
        }
    }

    public ReadOnlySpan<byte> Rest() => Take(Remaining);
}

/// <summary>Builds a response body.</summary>
internal sealed class FrameWriter
{
    private readonly List<byte> _bytes = [];

    public byte[] ToArray() => [.. _bytes];

    public FrameWriter Int8(sbyte value)
    {
        _bytes.Add((byte)value);
        return this;
    }

    public FrameWriter Bool(bool value) => Int8(value ? (sbyte)1 : (sbyte)0);

    public FrameWriter Int16(short value)
    {
        Span<byte> span = stackalloc byte[2];
        BinaryPrimitives.WriteInt16BigEndian(span, value);
        _bytes.AddRange(span);
        return this;
    }

    public FrameWriter Int32(int value)
    {
        Span<byte> span = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(span, value);
        _bytes.AddRange(span);
        return this;
    }

    public FrameWriter Int64(long value)
    {
        Span<byte> span = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(span, value);
        _bytes.AddRange(span);
        return this;
    }

    public FrameWriter Uuid(Guid value)
    {
        Span<byte> span = stackalloc byte[16];
        value.TryWriteBytes(span, bigEndian: true, out _);
        _bytes.AddRange(span);
        return this;
    }

    public FrameWriter UVarInt(uint value)
    {
        while (value >= 0x80)
        {
            _bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.Add((byte)value);
        return this;
    }

    public FrameWriter String(string? value, bool compact)
    {
        if (value is null)
        {
            return compact ? UVarInt(0) : Int16(-1);
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        if (compact)
        {
            UVarInt((uint)bytes.Length + 1);
        }
        else
        {
            Int16((short)bytes.Length);
        }
        _bytes.AddRange(bytes);
        return this;
    }

    public FrameWriter ArrayLength(int count, bool compact) => compact ? UVarInt((uint)(count + 1)) : Int32(count);

    public FrameWriter Tags(bool flexible) => flexible ? UVarInt(0) : this;

    public FrameWriter Raw(ReadOnlySpan<byte> bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }
}
