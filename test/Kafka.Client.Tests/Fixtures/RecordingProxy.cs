using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Kafka.Client.Tests.Fixtures;

/// <summary>One request and the response frame that answered it, as they crossed a <see cref="RecordingProxy"/>.</summary>
/// <param name="ApiKey">The request's API key.</param>
/// <param name="ApiVersion">The request's version: the version the response is written in.</param>
/// <param name="Request">The request frame without its size (header, then body).</param>
/// <param name="Response">The response frame without its size (correlation id, header tags, body).</param>
internal sealed record RecordedExchange(short ApiKey, short ApiVersion, byte[] Request, byte[] Response)
{
    /// <summary>The client id of the request header (which client sent it), or null.</summary>
    public string? ClientId
    {
        get
        {
            // Request header v1/v2: api key, version, correlation id, then the client id as a nullable int16 string.
            var length = Request.Length >= 10 ? BinaryPrimitives.ReadInt16BigEndian(Request.AsSpan(8)) : (short)-1;
            return length >= 0 && Request.Length >= 10 + length ? System.Text.Encoding.UTF8.GetString(Request, 10, length) : null;
        }
    }
}

/// <summary>
/// A TCP proxy in front of one broker that forwards every frame unchanged and records each response frame with the
/// API key and version of the request it answers (matched by correlation id on the same connection), so tests get
/// real responses at the versions a client negotiated.
/// </summary>
internal sealed class RecordingProxy : LoopbackServer
{
    private readonly string _host;
    private readonly int _port;
    private readonly ConcurrentQueue<RecordedExchange> _exchanges = new();

    public RecordingProxy(string host, int port)
    {
        _host = host;
        _port = port;
        Start();
    }

    /// <summary>Every answered request so far, in the order the answers arrived.</summary>
    public IReadOnlyList<RecordedExchange> Exchanges => [.. _exchanges];

    protected override async Task ServeAsync(TcpClient client)
    {
        using var server = new TcpClient { NoDelay = true };
        Track(server);
        await server.ConnectAsync(_host, _port, Stopping);
        var pending = new ConcurrentDictionary<int, byte[]>();
        var upstream = ForwardRequestsAsync(client.GetStream(), server.GetStream(), pending);
        var downstream = ForwardResponsesAsync(server.GetStream(), client.GetStream(), pending);
        await Task.WhenAny(upstream, downstream);
    }

    private async Task ForwardRequestsAsync(Stream from, Stream to, ConcurrentDictionary<int, byte[]> pending)
    {
        while (await ReadFrameAsync(from) is { } frame)
        {
            // Request header: api key, api version, correlation id.
            pending[BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4))] = frame;
            await WriteFrameAsync(to, frame);
        }
    }

    private async Task ForwardResponsesAsync(Stream from, Stream to, ConcurrentDictionary<int, byte[]> pending)
    {
        while (await ReadFrameAsync(from) is { } frame)
        {
            if (frame.Length >= 4 && pending.TryRemove(BinaryPrimitives.ReadInt32BigEndian(frame), out var request))
            {
                _exchanges.Enqueue(new RecordedExchange(
                    BinaryPrimitives.ReadInt16BigEndian(request), BinaryPrimitives.ReadInt16BigEndian(request.AsSpan(2)), request, frame));
            }
            await WriteFrameAsync(to, frame);
        }
    }
}
