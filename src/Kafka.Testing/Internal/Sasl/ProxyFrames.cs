using System.Buffers;
using System.Buffers.Binary;

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
        var reader = new FrameReader(frame);
        var apiKey = reader.Int16();
        var version = reader.Int16();
        var correlationId = reader.Int32();
        reader.String(compact: false); // client id
        reader.SkipTags(flexible(apiKey, version));
        return new RequestHeaderInfo(apiKey, version, correlationId, reader.Position);
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
        var reader = new FrameReader(frame[header.BodyOffset..]);
        if (header.ApiVersion >= 3)
        {
            reader.String(compact: header.ApiVersion >= 9); // transactional_id, before acks
        }
        return reader.Int16() != 0;
    }

    /// <summary>The mechanism of a SaslHandshake request.</summary>
    public static string ReadMechanism(ReadOnlySpan<byte> frame, RequestHeaderInfo header) =>
        new FrameReader(frame[header.BodyOffset..]).String(compact: false) ?? string.Empty;

    /// <summary>The auth_bytes of a SaslAuthenticate request.</summary>
    public static ReadOnlySpan<byte> ReadAuthBytes(ReadOnlySpan<byte> frame, RequestHeaderInfo header) =>
        new FrameReader(frame[header.BodyOffset..]).Bytes(compact: header.ApiVersion >= 2);

    /// <summary>A token sent as SaslHandshake v0 clients expect it: a bare size-prefixed frame, no Kafka header.</summary>
    public static byte[] RawToken(ReadOnlySpan<byte> token) => WithSize(new FrameWriter().Raw(token));

    /// <summary>A SaslHandshake v0/v1 response.</summary>
    public static byte[] HandshakeResponse(int correlationId, short errorCode, IReadOnlyList<string> mechanisms)
    {
        var writer = new FrameWriter().Int32(correlationId).Int16(errorCode).ArrayLength(mechanisms.Count, compact: false);
        foreach (var mechanism in mechanisms)
        {
            writer.String(mechanism, compact: false);
        }
        return WithSize(writer);
    }

    /// <summary>A SaslAuthenticate response at <paramref name="version"/> (v2 is flexible: response header v1).</summary>
    public static byte[] AuthenticateResponse(int correlationId, short version, short errorCode, string? errorMessage, ReadOnlySpan<byte> authBytes, long sessionLifetimeMs)
    {
        var flexible = version >= 2;
        var writer = new FrameWriter().Int32(correlationId).Tags(flexible)
            .Int16(errorCode).String(errorMessage, flexible).Bytes(authBytes, flexible);
        if (version >= 1)
        {
            writer.Int64(sessionLifetimeMs);
        }
        return WithSize(writer.Tags(flexible));
    }

    /// <summary>
    /// An ApiVersions response (size prefix stripped) with SaslHandshake v0–v1 and SaslAuthenticate v0 to
    /// <paramref name="maxAuthenticate"/> listed, as a SASL listener advertises them; sized for the wire. An error
    /// answer keeps the broker's body.
    /// </summary>
    public static byte[] AddSaslApis(ReadOnlySpan<byte> response, short version, short maxAuthenticate) =>
        WithSize(new FrameWriter().Raw(ApiVersionsAnswer.WithApis(response.ToArray(), version,
            [(SaslHandshake, 0, 1), (SaslAuthenticate, 0, maxAuthenticate)])));

    private static byte[] WithSize(FrameWriter body)
    {
        var bytes = body.ToArray();
        var frame = new byte[bytes.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(frame, bytes.Length);
        bytes.CopyTo(frame, 4);
        return frame;
    }
}
