using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Kafka.Client.Tests.Fixtures;

/// <summary>
/// A TCP proxy in front of one broker that, once armed, cuts the next Fetch response carrying records in the middle
/// and closes the connection: a truncated response as a network failure produces it.
/// </summary>
internal sealed class FetchTruncatingProxy : IAsyncDisposable
{
    private const short FetchKey = 1;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _host;
    private readonly int _port;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly Task _accept;
    private int _armed;

    public FetchTruncatingProxy(string host, int port)
    {
        _host = host;
        _port = port;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public int Truncated { get; private set; }

    /// <summary>The next Fetch response larger than <paramref name="minimumSize"/> bytes is cut.</summary>
    public void Arm() => Volatile.Write(ref _armed, 1);

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
            var apiKeys = new ConcurrentDictionary<int, short>();
            var upstream = ForwardRequestsAsync(client.GetStream(), server.GetStream(), apiKeys);
            var downstream = ForwardResponsesAsync(server.GetStream(), client.GetStream(), apiKeys);
            await Task.WhenAny(upstream, downstream);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side went away.
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task ForwardRequestsAsync(Stream from, Stream to, ConcurrentDictionary<int, short> apiKeys)
    {
        var size = new byte[4];
        while (await FillAsync(from, size))
        {
            var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
            if (!await FillAsync(from, frame))
            {
                return;
            }
            apiKeys[BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4))] = BinaryPrimitives.ReadInt16BigEndian(frame);
            await to.WriteAsync(size, _stop.Token);
            await to.WriteAsync(frame, _stop.Token);
        }
    }

    private async Task ForwardResponsesAsync(Stream from, Stream to, ConcurrentDictionary<int, short> apiKeys)
    {
        var size = new byte[4];
        while (await FillAsync(from, size))
        {
            var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
            if (!await FillAsync(from, frame))
            {
                return;
            }
            apiKeys.TryRemove(BinaryPrimitives.ReadInt32BigEndian(frame), out var key);
            if (key == FetchKey && frame.Length > 200 && Interlocked.CompareExchange(ref _armed, 0, 1) == 1)
            {
                Truncated++;
                await to.WriteAsync(size, _stop.Token);
                await to.WriteAsync(frame.AsMemory(0, frame.Length / 2), _stop.Token);
                await to.FlushAsync(_stop.Token);
                throw new IOException("truncated on purpose");
            }
            await to.WriteAsync(size, _stop.Token);
            await to.WriteAsync(frame, _stop.Token);
        }
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
