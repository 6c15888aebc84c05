using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Kafka.Testing;

/// <summary>
/// A TCP forwarding proxy on a loopback port, for tests that need to see or break the traffic between a client and
/// a broker: it records where each connection came from, counts them, and can cut every open connection at once.
/// Put it in front of a <see cref="MockKafkaCluster"/> broker with <c>SetBrokerHostPort</c> so the cluster
/// advertises the proxy's port.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable, IDisposable
{
    private readonly TcpListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (TcpClient Client, TcpClient Upstream)> _open = new();
    private readonly ConcurrentQueue<IPEndPoint> _accepted = new();
    private readonly ConcurrentQueue<ProxiedRequest> _requests = new();
    private readonly Task _acceptLoop;
    private readonly bool _recordKafkaRequests;
    private int _nextId;

    /// <summary>Starts a proxy on 127.0.0.1 (a free port) that forwards to <paramref name="targetHost"/>:<paramref name="targetPort"/>.</summary>
    /// <param name="targetHost">The host to forward to.</param>
    /// <param name="targetPort">The port to forward to.</param>
    /// <param name="recordKafkaRequests">
    /// Read the client-to-broker bytes as Kafka request frames and record each request's API key and version
    /// (<see cref="Requests"/>); librdkafka's own request tracking does not record versions.
    /// </param>
    public TcpProxy(string targetHost, int targetPort, bool recordKafkaRequests = false)
    {
        _recordKafkaRequests = recordKafkaRequests;
        ArgumentException.ThrowIfNullOrEmpty(targetHost);
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The broker this proxy stands for, when it stands for one (-1 otherwise).</summary>
    public int BrokerId { get; init; } = -1;

    /// <summary>The loopback port the proxy listens on.</summary>
    public int Port { get; }

    /// <summary>The proxy's address, <c>127.0.0.1:port</c>.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>The remote end points of the connections accepted so far, in order.</summary>
    public IReadOnlyList<IPEndPoint> AcceptedFrom => [.. _accepted];

    /// <summary>How many connections have been accepted.</summary>
    public int AcceptedCount => _accepted.Count;

    /// <summary>The Kafka requests forwarded so far, in order (only when created with <c>recordKafkaRequests</c>).</summary>
    public IReadOnlyList<ProxiedRequest> Requests => [.. _requests];

    /// <summary>Forgets the recorded requests.</summary>
    public void ClearRequests() => _requests.Clear();

    /// <summary>How many connections are open now.</summary>
    public int OpenCount => _open.Count;

    /// <summary>Closes every open connection (both sides), as a network failure would. New connections are still accepted.</summary>
    public void CutAllConnections()
    {
        foreach (var id in _open.Keys)
        {
            if (_open.TryRemove(id, out var pair))
            {
                pair.Client.Dispose();
                pair.Upstream.Dispose();
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            _accepted.Enqueue((IPEndPoint)client.Client.RemoteEndPoint!);
            _ = Task.Run(() => ForwardAsync(client));
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        var upstream = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        var id = Interlocked.Increment(ref _nextId);
        try
        {
            await upstream.ConnectAsync(_targetHost, _targetPort, _stop.Token).ConfigureAwait(false);
            _open[id] = (client, upstream);
            var a = _recordKafkaRequests
                ? ForwardKafkaRequestsAsync(client.GetStream(), upstream.GetStream(), _stop.Token)
                : client.GetStream().CopyToAsync(upstream.GetStream(), _stop.Token);
            var b = upstream.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
            await Task.WhenAny(a, b).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side went away: close both below.
        }
        finally
        {
            _open.TryRemove(id, out _);
            client.Dispose();
            upstream.Dispose();
        }
    }

    /// <summary>Forwards whole request frames, noting each one's API key and version from its header.</summary>
    private async Task ForwardKafkaRequestsAsync(Stream from, Stream to, CancellationToken token)
    {
        var size = new byte[4];
        while (await FillAsync(from, size, token).ConfigureAwait(false))
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(size);
            if (length < 8 || length > 256 * 1024 * 1024)
            {
                await to.WriteAsync(size, token).ConfigureAwait(false);
                await from.CopyToAsync(to, token).ConfigureAwait(false); // not Kafka: pass the rest through
                return;
            }
            var frame = new byte[length];
            if (!await FillAsync(from, frame, token).ConfigureAwait(false))
            {
                return;
            }
            _requests.Enqueue(new ProxiedRequest(
                BinaryPrimitives.ReadInt16BigEndian(frame),
                BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2)),
                BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4)),
                DateTimeOffset.UtcNow));
            await to.WriteAsync(size, token).ConfigureAwait(false);
            await to.WriteAsync(frame, token).ConfigureAwait(false);
        }
    }

    private static async Task<bool> FillAsync(Stream stream, byte[] buffer, CancellationToken token)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), token).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }
            read += n;
        }
        return true;
    }

    /// <summary>Stops listening and closes every connection, without waiting for the accept loop to end.</summary>
    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _stop.Cancel();
        _listener.Stop();
        CutAllConnections();
    }

    /// <summary>Stops listening and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        CutAllConnections();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        _stop.Dispose();
    }
}
