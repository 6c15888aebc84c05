using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Kafka.Testing.Tests.Support;

/// <summary>
/// A few Kafka requests written by hand over a plain socket, to see exactly what one broker answers without a
/// client's retries, version negotiation or caching in the way.
/// </summary>
internal static class RawKafka
{
    public const short ApiVersionsKey = 18;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Sends ApiVersions v0 and returns its error code and the advertised version range of every API.</summary>
    public static (short ErrorCode, Dictionary<short, (short Min, short Max)> Apis) ApiVersions(int port)
    {
        using var socket = Connect(port);
        byte[] body = Exchange(socket, ApiVersionsKey, 0, []) ?? throw new AssertionException("The broker closed the connection instead of answering ApiVersions.");
        short error = BinaryPrimitives.ReadInt16BigEndian(body);
        int count = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(2));
        var apis = new Dictionary<short, (short, short)>();
        for (int i = 0; i < count; i++)
        {
            var entry = body.AsSpan(6 + i * 6);
            apis[BinaryPrimitives.ReadInt16BigEndian(entry)] = (BinaryPrimitives.ReadInt16BigEndian(entry[2..]), BinaryPrimitives.ReadInt16BigEndian(entry[4..]));
        }

        return (error, apis);
    }

    public static Socket Connect(int port, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        socket.SendTimeout = (int)Timeout.TotalMilliseconds;
        try
        {
            if (from is not null)
            {
                socket.Bind(new IPEndPoint(from, 0));
            }
            socket.Connect("127.0.0.1", port);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends one request with a v1 header (null client id) and returns the response after its correlation id,
    /// or null if the broker closed the connection instead.
    /// </summary>
    public static byte[]? Exchange(Socket socket, short apiKey, short apiVersion, ReadOnlySpan<byte> body)
    {
        const int correlationId = 7;
        byte[] request = new byte[4 + 10 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(request, request.Length - 4);
        BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(4), apiKey);
        BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(6), apiVersion);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), correlationId);
        BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(12), -1);
        body.CopyTo(request.AsSpan(14));
        socket.Send(request);

        byte[] size = new byte[4];
        if (!ReadExactly(socket, size))
        {
            return null;
        }

        byte[] response = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        if (!ReadExactly(socket, response))
        {
            return null;
        }

        Assert.That(BinaryPrimitives.ReadInt32BigEndian(response), Is.EqualTo(correlationId), "correlation id");
        return response[4..];
    }

    /// <summary>True when the peer closed the connection (read returns end of stream or the connection is reset).</summary>
    public static bool IsClosedByPeer(Socket socket)
    {
        try
        {
            return socket.Receive(new byte[1]) == 0;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return true;
        }
    }

    private static bool ReadExactly(Socket socket, byte[] buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = socket.Receive(buffer, read, buffer.Length - read, SocketFlags.None);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                return false;
            }

            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
