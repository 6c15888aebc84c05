using System.Buffers.Binary;
using System.Text;

namespace Kafka.ZooKeeper.Internal;

/// <summary>
/// Reads jute's big-endian encoding from one complete frame. Every length is checked against the bytes that
/// remain before anything is allocated, so malformed input ends in an <see cref="InvalidDataException"/>.
/// </summary>
internal ref struct JuteReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public JuteReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Remaining => _buffer.Length - _position;

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public bool ReadBoolean() => Take(1)[0] != 0;

    /// <summary>Reads a buffer; null (-1) reads as empty.</summary>
    public byte[] ReadBuffer()
    {
        var length = ReadLength();
        return length <= 0 ? [] : Take(length).ToArray();
    }

    /// <summary>Reads a buffer into <paramref name="destination"/>, which must have the exact length.</summary>
    public void ReadFixedBuffer(Span<byte> destination)
    {
        var length = ReadInt32();
        if (length != destination.Length)
        {
            throw new InvalidDataException($"Expected a {destination.Length}-byte buffer, found a length of {length}.");
        }
        Take(length).CopyTo(destination);
    }

    /// <summary>Reads a ustring; null (-1) reads as null.</summary>
    public string? ReadString()
    {
        var length = ReadLength();
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    /// <summary>Reads a vector's element count; null (-1) reads as -1. Each element takes at least <paramref name="minElementSize"/> bytes.</summary>
    public int ReadVectorCount(int minElementSize)
    {
        var count = ReadInt32();
        if (count < -1 || (count > 0 && (long)count * minElementSize > Remaining))
        {
            throw new InvalidDataException($"Invalid vector count {count} with {Remaining} bytes left.");
        }
        return count;
    }

    public Stat ReadStat() => new(
        czxid: ReadInt64(),
        mzxid: ReadInt64(),
        ctime: ReadInt64(),
        mtime: ReadInt64(),
        version: ReadInt32(),
        childVersion: ReadInt32(),
        aclVersion: ReadInt32(),
        ephemeralOwner: ReadInt64(),
        dataLength: ReadInt32(),
        childCount: ReadInt32(),
        pzxid: ReadInt64());

    private int ReadLength()
    {
        var length = ReadInt32();
        if (length < -1 || length > Remaining)
        {
            throw new InvalidDataException($"Invalid length {length} with {Remaining} bytes left.");
        }
        return length;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            throw new InvalidDataException(
                $"Truncated frame: {count} bytes expected at position {_position}, {_buffer.Length - _position} left.");
        }
        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }
}
