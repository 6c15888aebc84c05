using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Kafka.Testing.Internal.Sasl;

/// <summary>A Kafka frame read off a socket (size prefix stripped), in a pooled buffer the reader must return.</summary>
internal readonly struct Frame(byte[] buffer, int length) : IDisposable
{
    public byte[] Buffer { get; } = buffer;

    public int Length { get; } = length;

    public ReadOnlySpan<byte> Span => Buffer.AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => Buffer.AsMemory(0, Length);

    public void Dispose() => ArrayPool<byte>.Shared.Return(Buffer);
}

/// <summary>The fields of a request header the proxy needs, and where the body starts.</summary>
internal readonly record struct RequestHeaderInfo(short ApiKey, short ApiVersion, int CorrelationId, int BodyOffset);

/// <summary>Reading and writing the few Kafka structures the SASL proxy handles itself.</summary>
internal static class ProxyFrames
{
    public const short Produce = 0;
    public const short SaslHandshake = 17;
    public const short ApiVersions = 18;
    public const short SaslAuthenticate = 36;

    public const short UnsupportedSaslMechanism = 33;
    public const short IllegalSaslState = 34;
    public const short SaslAuthenticationFailed = 58;

    /// <summary>Requests and responses larger than this are refused (the broker's <c>socket.request.max.bytes</c> is 100 MiB).</summary>
    public const int MaxFrame = 128 * 1024 * 1024;

    /// <summary>Reads one frame; null when the stream ended cleanly before it.</summary>
    public static async ValueTask<Frame?> ReadAsync(Stream stream, byte[] sizeBuffer, CancellationToken cancellationToken)
    {
        if (!await FillAsync(stream, sizeBuffer, 4, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        var size = BinaryPrimitives.ReadInt32BigEndian(sizeBuffer);
        if (size is < 4 or > MaxFrame)
        {
            throw new InvalidDataException($"A frame size of {size} bytes.");
        }
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            if (!await FillAsync(stream, buffer, size, cancellationToken).ConfigureAwait(false))
            {
                throw new EndOfStreamException("The stream ended inside a frame.");
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        return new Frame(buffer, size);
    }

    private static async ValueTask<bool> FillAsync(Stream stream, byte[] buffer, int count, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < count)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read, count - read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (read == 0)
                {
                    return false;
                }
                throw new EndOfStreamException("The stream ended inside a frame.");
            }
            read += n;
        }
        return true;
    }

    /// <summary>Parses a request header (v1, or v2 when <paramref name="flexible"/> says the request is flexible).</summary>
    public static RequestHeaderInfo ReadRequestHeader(ReadOnlySpan<byte> frame, Func<short, short, bool> flexible)
    {
        var apiKey = BinaryPrimitives.ReadInt16BigEndian(frame);
        var version = BinaryPrimitives.ReadInt16BigEndian(frame[2..]);
        var correlationId = BinaryPrimitives.ReadInt32BigEndian(frame[4..]);
        var clientIdLength = BinaryPrimitives.ReadInt16BigEndian(frame[8..]);
        var offset = 10 + Math.Max((int)clientIdLength, 0);
        if (offset > frame.Length)
        {
            throw new InvalidDataException("A request header longer than its frame.");
        }
        if (flexible(apiKey, version))
        {
            offset = SkipTaggedFields(frame, offset);
        }
        return new RequestHeaderInfo(apiKey, version, correlationId, offset);
    }

    /// <summary>Whether a request (of the APIs the proxy reads) uses the flexible header.</summary>
    public static bool IsFlexible(short apiKey, short version) => apiKey switch
    {
        SaslAuthenticate => version >= 2,
        Produce => version >= 9,
        ApiVersions => version >= 3,
        _ => false,
    };

    /// <summary>Whether the broker answers a request: every one except Produce with acks = 0.</summary>
    public static bool ExpectsResponse(ReadOnlySpan<byte> frame, RequestHeaderInfo header)
    {
        if (header.ApiKey != Produce)
        {
            return true;
        }
        var offset = header.BodyOffset;
        if (header.ApiVersion >= 3)
        {
            // transactional_id: a nullable string before acks.
            if (header.ApiVersion >= 9)
            {
                var length = ReadUnsignedVarInt(frame, ref offset);
                offset += length == 0 ? 0 : (int)length - 1;
            }
            else
            {
                offset += Math.Max((int)BinaryPrimitives.ReadInt16BigEndian(frame[offset..]), 0) + 2;
            }
        }
        return BinaryPrimitives.ReadInt16BigEndian(frame[offset..]) != 0;
    }

    public static string ReadString(ReadOnlySpan<byte> frame, int offset)
    {
        var length = BinaryPrimitives.ReadInt16BigEndian(frame[offset..]);
        return length < 0 ? string.Empty : Encoding.UTF8.GetString(frame.Slice(offset + 2, length));
    }

    /// <summary>The auth_bytes of a SaslAuthenticate request.</summary>
    public static ReadOnlySpan<byte> ReadAuthBytes(ReadOnlySpan<byte> frame, RequestHeaderInfo header)
    {
        var offset = header.BodyOffset;
        int length;
        if (header.ApiVersion >= 2)
        {
            length = (int)ReadUnsignedVarInt(frame, ref offset) - 1;
        }
        else
        {
            length = BinaryPrimitives.ReadInt32BigEndian(frame[offset..]);
            offset += 4;
        }
        if (length < 0 || offset + length > frame.Length)
        {
            throw new InvalidDataException("SaslAuthenticate auth_bytes longer than the request.");
        }
        return frame.Slice(offset, length);
    }

    /// <summary>A token sent as SaslHandshake v0 clients expect it: a bare size-prefixed frame, no Kafka header.</summary>
    public static byte[] RawToken(ReadOnlySpan<byte> token)
    {
        var frame = new byte[token.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(frame, token.Length);
        token.CopyTo(frame.AsSpan(4));
        return frame;
    }

    /// <summary>A SaslHandshake v0/v1 response.</summary>
    public static byte[] HandshakeResponse(int correlationId, short errorCode, IReadOnlyList<string> mechanisms)
    {
        var body = new List<byte>();
        Int32(body, correlationId);
        Int16(body, errorCode);
        Int32(body, mechanisms.Count);
        foreach (var mechanism in mechanisms)
        {
            var bytes = Encoding.UTF8.GetBytes(mechanism);
            Int16(body, (short)bytes.Length);
            body.AddRange(bytes);
        }
        return WithSize(body);
    }

    /// <summary>A SaslAuthenticate response at <paramref name="version"/> (v2 is flexible).</summary>
    public static byte[] AuthenticateResponse(int correlationId, short version, short errorCode, string? errorMessage, ReadOnlySpan<byte> authBytes, long sessionLifetimeMs)
    {
        var flexible = version >= 2;
        var body = new List<byte>();
        Int32(body, correlationId);
        if (flexible)
        {
            body.Add(0); // response header v1: no tagged fields
        }
        Int16(body, errorCode);
        var message = errorMessage is null ? null : Encoding.UTF8.GetBytes(errorMessage);
        if (flexible)
        {
            UnsignedVarInt(body, message is null ? 0 : (uint)message.Length + 1);
        }
        else
        {
            Int16(body, message is null ? (short)-1 : (short)message.Length);
        }
        if (message is not null)
        {
            body.AddRange(message);
        }
        if (flexible)
        {
            UnsignedVarInt(body, (uint)authBytes.Length + 1);
        }
        else
        {
            Int32(body, authBytes.Length);
        }
        body.AddRange(authBytes);
        if (version >= 1)
        {
            Int64(body, sessionLifetimeMs);
        }
        if (flexible)
        {
            body.Add(0);
        }
        return WithSize(body);
    }

    /// <summary>
    /// An ApiVersions response (size prefix stripped) with SaslHandshake v0–v1 and SaslAuthenticate v0 to
    /// <paramref name="maxAuthenticate"/> added, as a SASL listener advertises them; null (keep the original) for an
    /// error answer or one the proxy cannot read.
    /// </summary>
    public static byte[]? AddSaslApis(ReadOnlySpan<byte> response, short version, short maxAuthenticate)
    {
        try
        {
            var offset = 4; // correlation id: the ApiVersions response header is always v0
            if (BinaryPrimitives.ReadInt16BigEndian(response[offset..]) != 0)
            {
                return null;
            }
            offset += 2;
            var flexible = version >= 3;
            var count = flexible ? (int)ReadUnsignedVarInt(response, ref offset) - 1 : BinaryPrimitives.ReadInt32BigEndian(response[offset..]);
            if (!flexible)
            {
                offset += 4;
            }
            var entries = new List<byte[]>();
            for (var i = 0; i < count; i++)
            {
                var start = offset;
                var key = BinaryPrimitives.ReadInt16BigEndian(response[offset..]);
                offset += 6;
                if (flexible)
                {
                    offset = SkipTaggedFields(response, offset);
                }
                if (key is not (SaslHandshake or SaslAuthenticate))
                {
                    entries.Add(response[start..offset].ToArray());
                }
            }
            var rest = response[offset..];
            var body = new List<byte>();
            body.AddRange(response[..6]); // correlation id, error code
            Entry(entries, SaslHandshake, 0, 1, flexible);
            Entry(entries, SaslAuthenticate, 0, maxAuthenticate, flexible);
            if (flexible)
            {
                UnsignedVarInt(body, (uint)entries.Count + 1);
            }
            else
            {
                Int32(body, entries.Count);
            }
            foreach (var entry in entries)
            {
                body.AddRange(entry);
            }
            body.AddRange(rest);
            return WithSize(body);
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or InvalidDataException)
        {
            return null;
        }
    }

    private static void Entry(List<byte[]> entries, short key, short min, short max, bool flexible)
    {
        var entry = new List<byte>();
        Int16(entry, key);
        Int16(entry, min);
        Int16(entry, max);
        if (flexible)
        {
            entry.Add(0);
        }
        entries.Add([.. entry]);
    }

    private static int SkipTaggedFields(ReadOnlySpan<byte> frame, int offset)
    {
        var count = ReadUnsignedVarInt(frame, ref offset);
        for (uint i = 0; i < count; i++)
        {
            ReadUnsignedVarInt(frame, ref offset);
            var size = ReadUnsignedVarInt(frame, ref offset);
            offset += (int)size;
        }
        if (offset > frame.Length)
        {
            throw new InvalidDataException("Tagged fields longer than the frame.");
        }
        return offset;
    }

    private static uint ReadUnsignedVarInt(ReadOnlySpan<byte> frame, ref int offset)
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = frame[offset++];
            value |= (uint)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        throw new InvalidDataException("A varint longer than five bytes.");
    }

    private static void UnsignedVarInt(List<byte> output, uint value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }
        output.Add((byte)value);
    }

    private static void Int16(List<byte> output, short value)
    {
        output.Add((byte)(value >> 8));
        output.Add((byte)value);
    }

    private static void Int32(List<byte> output, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        output.AddRange(bytes);
    }

    private static void Int64(List<byte> output, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        output.AddRange(bytes);
    }

    private static byte[] WithSize(List<byte> body)
    {
        var frame = new byte[body.Count + 4];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.Count);
        body.CopyTo(frame, 4);
        return frame;
    }
}
