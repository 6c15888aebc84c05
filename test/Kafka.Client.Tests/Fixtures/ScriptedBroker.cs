using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Kafka.Client.Protocol;

namespace Kafka.Client.Tests.Fixtures;

/// <summary>
/// A TCP server that plays a broken or hostile broker: each accepted connection runs a script that reads the
/// client's requests and answers with whatever bytes the test wants (garbage, false lengths, wrong correlation
/// ids, truncated frames, silence). No real broker can be made to misbehave like this, so this is a fixture.
/// </summary>
internal sealed class ScriptedBroker : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<ScriptedConnection, CancellationToken, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Task _accept;

    public ScriptedBroker(Func<ScriptedConnection, CancellationToken, Task> script)
    {
        _script = script;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accept = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public int Connections { get; private set; }

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
            lock (_clients)
            {
                _clients.Add(client);
                Connections++;
            }
            _ = Task.Run(async () =>
            {
                try
                {
                    await _script(new ScriptedConnection(client), _stop.Token);
                }
                catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // The client went away or the fixture stopped.
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }
        await _accept;
        _stop.Dispose();
    }
}

internal sealed record ScriptedRequest(short ApiKey, short Version, int CorrelationId);

internal sealed class ScriptedConnection(TcpClient client)
{
    private readonly NetworkStream _stream = client.GetStream();

    public TcpClient Client => client;

    /// <summary>Reads the next request frame; null when the client closed the connection.</summary>
    public async Task<ScriptedRequest?> ReadRequestAsync(CancellationToken ct)
    {
        var size = new byte[4];
        if (!await FillAsync(size, ct))
        {
            return null;
        }
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        if (!await FillAsync(frame, ct))
        {
            return null;
        }
        return new ScriptedRequest(
            BinaryPrimitives.ReadInt16BigEndian(frame),
            BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2)),
            BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4)));
    }

    private async Task<bool> FillAsync(byte[] buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _stream.ReadAsync(buffer.AsMemory(read), ct);
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    public Task WriteAsync(byte[] bytes, CancellationToken ct) => _stream.WriteAsync(bytes, ct).AsTask();

    /// <summary>Writes a whole response frame: size, correlation id, then <paramref name="body"/>.</summary>
    public Task RespondAsync(int correlationId, ReadOnlySpan<byte> body, CancellationToken ct)
    {
        var frame = new byte[8 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, 4 + body.Length);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), correlationId);
        body.CopyTo(frame.AsSpan(8));
        return WriteAsync(frame, ct);
    }

    /// <summary>A valid ApiVersions answer (at the version asked) listing ApiVersions, Metadata and ListOffsets.</summary>
    public Task RespondApiVersionsAsync(ScriptedRequest request, CancellationToken ct)
    {
        using var w = new KafkaWriter();
        var flexible = request.Version >= 3;
        w.WriteInt16(0); // error
        w.WriteArrayLength(3, flexible);
        foreach (var (key, max) in new (short, short)[] { (18, 3), (3, 12), (2, 7) })
        {
            w.WriteInt16(key);
            w.WriteInt16(key == 2 ? (short)1 : (short)0);
            w.WriteInt16(max);
            if (flexible)
            {
                w.WriteEmptyTaggedFields();
            }
        }
        if (request.Version >= 1)
        {
            w.WriteInt32(0); // throttle
        }
        if (flexible)
        {
            w.WriteEmptyTaggedFields();
        }
        return RespondAsync(request.CorrelationId, w.WrittenSpan, ct);
    }
}
