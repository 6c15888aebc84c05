using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kafka.ZooKeeper.Tests;

/// <summary>
/// A tiny TCP server that plays a script on each connection: it sends garbage, impossible lengths or
/// out-of-order replies, which a real ZooKeeper server never does. Everything else is tested against the real server.
/// </summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<NetworkStream, CancellationToken, Task> _script;
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;
    private int _connectionCount;

    public ScriptedServer(Func<NetworkStream, CancellationToken, Task> script)
    {
        _script = script;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public string ConnectString =>
        string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public int Connections => Volatile.Read(ref _connectionCount);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }
        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    /// <summary>Reads one length-prefixed frame.</summary>
    public static async Task<byte[]> ReadFrameAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var length = new byte[4];
        await stream.ReadExactlyAsync(length, cancellationToken);
        var body = new byte[BinaryPrimitives.ReadInt32BigEndian(length)];
        await stream.ReadExactlyAsync(body, cancellationToken);
        return body;
    }

    /// <summary>Answers the client's ConnectRequest with a valid ConnectResponse for a made-up session.</summary>
    public static async Task HandshakeAsync(NetworkStream stream, CancellationToken cancellationToken, int timeoutMs = 10_000)
    {
        await ReadFrameAsync(stream, cancellationToken);
        var response = new byte[4 + 4 + 4 + 8 + 4 + 16 + 1];
        BinaryPrimitives.WriteInt32BigEndian(response, response.Length - 4);
        BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(8), timeoutMs);
        BinaryPrimitives.WriteInt64BigEndian(response.AsSpan(12), 0x1234);
        BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(20), 16);
        await stream.WriteAsync(response, cancellationToken);
    }

    /// <summary>Reads one request frame and returns its xid.</summary>
    public static async Task<int> ReadRequestXidAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            var frame = await ReadFrameAsync(stream, cancellationToken);
            var xid = BinaryPrimitives.ReadInt32BigEndian(frame);
            if (xid != -2)
            {
                return xid; // Pings (xid -2) are not what the script waits for.
            }
        }
    }

    /// <summary>A reply header: length, xid, zxid, err, followed by <paramref name="body"/>.</summary>
    public static byte[] Reply(int xid, long zxid, int err, ReadOnlySpan<byte> body = default)
    {
        var frame = new byte[4 + 16 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 16 + body.Length);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), xid);
        BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(8), zxid);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(16), err);
        body.CopyTo(frame.AsSpan(20));
        return frame;
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
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _connectionCount);
            lock (_connections)
            {
                _connections.Add(Task.Run(() => RunAsync(client)));
            }
        }
    }

    private async Task RunAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await _script(client.GetStream(), _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // The client hung up or the test is over.
            }
        }
    }
}
