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

    /// <summary>Non-null bytes: an int32 length, or a varint length + 1 when compact.</summary>
    public ReadOnlySpan<byte> Bytes(bool compact) => Take(compact ? (int)UVarInt() - 1 : Int32());

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

    /// <summary>Bytes with an int32 length, or a varint length + 1 when compact.</summary>
    public FrameWriter Bytes(ReadOnlySpan<byte> value, bool compact)
    {
        if (compact)
        {
            UVarInt((uint)value.Length + 1);
        }
        else
        {
            Int32(value.Length);
        }
        return Raw(value);
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

/// <summary>What the proxies that add APIs of their own to a broker do to its ApiVersions answers.</summary>
internal static class ApiVersionsAnswer
{
    /// <summary>
    /// <paramref name="frame"/> (an ApiVersions answer: header v0, then the body of <paramref name="version"/>) with
    /// <paramref name="apis"/> listed, replacing the broker's ranges for the same keys; an error answer (UNSUPPORTED_VERSION
    /// in v0 form, after which the client asks again) is returned as it is.
    /// </summary>
    public static byte[] WithApis(byte[] frame, short version, IEnumerable<(short Key, short Min, short Max)> apis)
    {
        var flexible = version >= 3;
        var reader = new FrameReader(frame.AsSpan(4));
        if (reader.Int16() != 0)
        {
            return frame;
        }
        var added = apis.ToList();
        var entries = new List<(short Key, short Min, short Max)>();
        var count = reader.ArrayLength(flexible);
        for (var i = 0; i < count; i++)
        {
            var entry = (reader.Int16(), reader.Int16(), reader.Int16());
            reader.SkipTags(flexible);
            if (!added.Any(a => a.Key == entry.Item1))
            {
                entries.Add(entry);
            }
        }
        entries.AddRange(added);
        var writer = new FrameWriter().Raw(frame.AsSpan(0, 4)).Int16(0).ArrayLength(entries.Count, flexible);
        foreach (var (key, min, max) in entries.OrderBy(e => e.Key))
        {
            writer.Int16(key).Int16(min).Int16(max).Tags(flexible);
        }
        return writer.Raw(reader.Rest()).ToArray();
    }
}

/// <summary>A request the fixtures send themselves, on a connection of its own (the client's connections stay theirs).</summary>
internal static class SideRequest
{
    /// <summary>Sends <paramref name="frame"/> (a request without its length) and returns the answer frame (without its length).</summary>
    public static async Task<byte[]> SendAsync(string host, int port, byte[] frame, CancellationToken cancellationToken)
    {
        var framed = new byte[frame.Length + 4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(framed, frame.Length);
        frame.CopyTo(framed, 4);
        using var client = new System.Net.Sockets.TcpClient { NoDelay = true };
        await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        var stream = client.GetStream();
        await stream.WriteAsync(framed, cancellationToken).ConfigureAwait(false);
        var size = new byte[4];
        await stream.ReadExactlyAsync(size, cancellationToken).ConfigureAwait(false);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(size);
        if (length is < 4 or > 1024 * 1024)
        {
            throw new InvalidDataException($"An answer of {length} bytes to a fixture's own request.");
        }
        var answer = new byte[length];
        await stream.ReadExactlyAsync(answer, cancellationToken).ConfigureAwait(false);
        return answer;
    }
}
