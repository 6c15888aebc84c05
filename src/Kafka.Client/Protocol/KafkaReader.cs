using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Kafka.Client.Protocol;

/// <summary>
/// Reads Kafka's big-endian wire encoding from a complete response frame. Every length read from the wire is
/// checked against the bytes that remain before anything is allocated for it, so a hostile length can only
/// produce a <see cref="KafkaProtocolException"/>, never a large allocation.
/// </summary>
internal ref struct KafkaReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public KafkaReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly bool End => _position >= _buffer.Length;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            ThrowTruncated(count);
        }
        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    private readonly void ThrowTruncated(int count) =>
        throw new KafkaProtocolException(
            $"Truncated data: {count} bytes expected at position {_position}, {_buffer.Length - _position} remain.");

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public byte ReadUInt8() => Take(1)[0];

    public bool ReadBoolean() => Take(1)[0] != 0;

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    public uint ReadUnsignedVarInt() => TryReadShortVarint(out var value) ? value : ReadUnsignedVarIntSlow();

    /// <summary>
    /// The fast path of both varint widths: most varints on the wire (record lengths, offset and timestamp deltas,
    /// counts) take one or two bytes. False, with the position unchanged, for anything else.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryReadShortVarint(out uint value)
    {
        var position = _position;
        var buffer = _buffer;
        if ((uint)(position + 1) < (uint)buffer.Length)
        {
            uint first = buffer[position];
            if (first < 0x80)
            {
                _position = position + 1;
                value = first;
                return true;
            }
            uint second = buffer[position + 1];
            if (second < 0x80)
            {
                _position = position + 2;
                value = (first & 0x7F) | (second << 7);
                return true;
            }
        }
        value = 0;
        return false;
    }

    private uint ReadUnsignedVarIntSlow()
    {
        uint result = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = ReadUInt8();
            if (shift == 28 && b > 0x0F)
            {
                break;
            }
            result |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
        throw new KafkaProtocolException($"Malformed unsigned varint ending at position {_position}: more than 32 bits.");
    }

    public ulong ReadUnsignedVarLong() => TryReadShortVarint(out var value) ? value : ReadUnsignedVarLongSlow();

    private ulong ReadUnsignedVarLongSlow()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadUInt8();
            if (shift == 63 && b > 0x01)
            {
                break;
            }
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
        throw new KafkaProtocolException($"Malformed unsigned varlong ending at position {_position}: more than 64 bits.");
    }

    public int ReadVarInt()
    {
        var raw = ReadUnsignedVarInt();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    public long ReadVarLong()
    {
        var raw = ReadUnsignedVarLong();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>A length read from the wire: -1 means null; anything larger than what remains is malformed.</summary>
    private int ReadLength(bool compact, bool classicInt16, string what)
    {
        long length = compact ? (long)ReadUnsignedVarInt() - 1 : classicInt16 ? ReadInt16() : ReadInt32();
        if (length < -1)
        {
            throw new KafkaProtocolException($"Malformed {what} length {length} at position {_position}.");
        }
        if (length > Remaining)
        {
            throw new KafkaProtocolException(
                $"The {what} length {length} at position {_position} exceeds the {Remaining} bytes that remain.");
        }
        return (int)length;
    }

    public string ReadString(bool compact) =>
        ReadNullableString(compact) ?? throw new KafkaProtocolException($"A null string where one is required, at position {_position}.");

    /// <summary>A non-null string's UTF-8 bytes, as a slice of the frame (for callers that compare rather than keep it).</summary>
    public ReadOnlySpan<byte> ReadStringBytes(bool compact)
    {
        var length = ReadLength(compact, classicInt16: true, "string");
        return length < 0
            ? throw new KafkaProtocolException($"A null string where one is required, at position {_position}.")
            : Take(length);
    }

    public string? ReadNullableString(bool compact)
    {
        var length = ReadLength(compact, classicInt16: true, "string");
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>Non-null bytes, as a slice of the frame (valid while the frame is).</summary>
    public ReadOnlySpan<byte> ReadBytes(bool compact)
    {
        var length = ReadLength(compact, classicInt16: false, "bytes");
        if (length < 0)
        {
            throw new KafkaProtocolException($"Null bytes where a value is required, at position {_position}.");
        }
        return Take(length);
    }

    /// <summary>Nullable bytes: false for null, otherwise true with the slice in <paramref name="value"/>.</summary>
    public bool TryReadNullableBytes(bool compact, out ReadOnlySpan<byte> value)
    {
        var length = ReadLength(compact, classicInt16: false, "bytes");
        if (length < 0)
        {
            value = default;
            return false;
        }
        value = Take(length);
        return true;
    }

    /// <summary>
    /// An array's element count, -1 for a null array. Each element takes at least one byte, so a count larger
    /// than the remaining bytes is malformed; callers may allocate the count safely.
    /// </summary>
    public int ReadArrayLength(bool compact) => ReadLength(compact, classicInt16: false, "array");

    /// <summary>An array count where null is not allowed (treated as empty: some brokers send null for none).</summary>
    public int ReadArrayCount(bool compact) => Math.Max(ReadArrayLength(compact), 0);

    /// <summary>Skips the tagged-field section of a flexible struct.</summary>
    public void SkipTaggedFields()
    {
        var count = ReadUnsignedVarInt();
        for (uint i = 0; i < count; i++)
        {
            ReadUnsignedVarInt(); // tag
            var size = ReadUnsignedVarInt();
            if (size > (uint)Remaining)
            {
                throw new KafkaProtocolException($"A tagged field of {size} bytes exceeds the {Remaining} bytes that remain.");
            }
            Take((int)size);
        }
    }

    public ReadOnlySpan<byte> ReadRaw(int count) => Take(count);

    public void Skip(int count) => Take(count);
}
