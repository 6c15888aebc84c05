using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Kafka.Client.Tests.Fixtures;

/// <summary>
/// What the tests' own servers and proxies on loopback share: a listener on a free port, an accept loop that hands
/// each connection to <see cref="ServeAsync"/>, Kafka frame reading and writing, and a disposal that closes every
/// connection.
/// </summary>
internal abstract class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private Task _accept = Task.CompletedTask;

    protected LoopbackServer()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Cancelled when the server is disposed.</summary>
    protected CancellationToken Stopping => _stop.Token;

    /// <summary>Starts accepting; called by the derived constructor once its own fields are set.</summary>
    protected void Start() => _accept = Task.Run(AcceptAsync);

    /// <summary>Serves one accepted connection until it ends; the connection is closed afterwards and on disposal.</summary>
    protected abstract Task ServeAsync(TcpClient client);

    /// <summary>Closes <paramref name="client"/> (an upstream connection, say) when the server is disposed.</summary>
    protected void Track(TcpClient client) => _clients.Add(client);

    /// <summary>The next frame without its size, or <see langword="null"/> when the stream ends.</summary>
    protected async Task<byte[]?> ReadFrameAsync(Stream stream)
    {
        var size = new byte[4];
        if (!await FillAsync(stream, size))
        {
            return null;
        }
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        return await FillAsync(stream, frame) ? frame : null;
    }

    // One write per frame: a size written on its own waits for the peer's delayed ACK (Nagle), some 40 ms a frame.
    protected async Task WriteFrameAsync(Stream to, ReadOnlyMemory<byte> frame)
    {
        var sized = new byte[4 + frame.Length];
        BinaryPrimitives.WriteInt32BigEndian(sized, frame.Length);
        frame.CopyTo(sized.AsMemory(4));
        await to.WriteAsync(sized, Stopping);
    }

    private async Task<bool> FillAsync(Stream stream, byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), Stopping);
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

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
            client.NoDelay = true;
            _clients.Add(client);
            _ = Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(client);
                }
                catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or EndOfStreamException)
                {
                    // One side went away, or the server stopped.
                }
                finally
                {
                    client.Dispose();
                }
            });
        }
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
