using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
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
internal sealed class RecordingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _host;
    private readonly int _port;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly ConcurrentQueue<RecordedExchange> _exchanges = new();
    private readonly Task _accept;

    public RecordingProxy(string host, int port)
    {
        _host = host;
        _port = port;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Every answered request so far, in the order the answers arrived.</summary>
    public IReadOnlyList<RecordedExchange> Exchanges => [.. _exchanges];

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }
            _clients.Add(client);
            _ = Task.Run(() => PipeAsync(client));
        }
    }

    private async Task PipeAsync(TcpClient client)
    {
        using var server = new TcpClient();
        _clients.Add(server);
        try
        {
            await server.ConnectAsync(_host, _port, _stop.Token);
            client.NoDelay = true;
            server.NoDelay = true;
            var pending = new ConcurrentDictionary<int, byte[]>();
            var upstream = ForwardRequestsAsync(client.GetStream(), server.GetStream(), pending);
            var downstream = ForwardResponsesAsync(server.GetStream(), client.GetStream(), pending);
            await Task.WhenAny(upstream, downstream);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side went away.
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task ForwardRequestsAsync(Stream from, Stream to, ConcurrentDictionary<int, byte[]> pending)
    {
        var size = new byte[4];
        while (await FillAsync(from, size))
        {
            var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
            if (!await FillAsync(from, frame))
            {
                return;
            }
            // Request header: api key, api version, correlation id.
            pending[BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4))] = frame;
            await WriteFrameAsync(to, frame);
        }
    }

    private async Task ForwardResponsesAsync(Stream from, Stream to, ConcurrentDictionary<int, byte[]> pending)
    {
        var size = new byte[4];
        while (await FillAsync(from, size))
        {
            var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
            if (!await FillAsync(from, frame))
            {
                return;
            }
            if (frame.Length >= 4 && pending.TryRemove(BinaryPrimitives.ReadInt32BigEndian(frame), out var request))
            {
                _exchanges.Enqueue(new RecordedExchange(
                    BinaryPrimitives.ReadInt16BigEndian(request), BinaryPrimitives.ReadInt16BigEndian(request.AsSpan(2)), request, frame));
            }
            await WriteFrameAsync(to, frame);
        }
    }

    // One write per frame: a size written on its own waits for the peer's delayed ACK (Nagle), some 40 ms a frame.
    private async Task WriteFrameAsync(Stream to, byte[] frame)
    {
        var sized = new byte[4 + frame.Length];
        BinaryPrimitives.WriteInt32BigEndian(sized, frame.Length);
        frame.CopyTo(sized, 4);
        await to.WriteAsync(sized, _stop.Token);
    }

    private async Task<bool> FillAsync(Stream stream, byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), _stop.Token);
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var client in _clients)
        {
            client.Dispose();
        }
        try
        {
            await _accept;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
