using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Kafka.Testing.Internal;

/// <summary>
/// What the test proxies share: a listener on a free loopback port, an accept loop handing each connection to the
/// proxy's own serving code, the open connections (to cut them all at once), and a prompt, idempotent stop.
/// </summary>
internal sealed class LoopbackListener
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<TcpClient, CancellationToken, Task> _serve;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, (TcpClient Client, TcpClient Upstream)> _open = new();
    private readonly Task _acceptLoop;
    private int _nextId;
    private int _accepted;

    /// <param name="serve">Serves one accepted connection until either side closes; exceptions end that connection only.</param>
    public LoopbackListener(Func<TcpClient, CancellationToken, Task> serve)
    {
        _serve = serve;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public CancellationToken Stopping => _stop.Token;

    public int AcceptedCount => Volatile.Read(ref _accepted);

    public int OpenCount => _open.Count;

    /// <summary>Records a forwarded pair so <see cref="CutAll"/> can close it; dispose the result when it ends.</summary>
    public OpenConnection Track(TcpClient client, TcpClient upstream)
    {
        var id = Interlocked.Increment(ref _nextId);
        _open[id] = (client, upstream);
        return new OpenConnection(this, id);
    }

    /// <summary>Closes every open pair (both sides), as a network failure would.</summary>
    public void CutAll() => Cut(null);

    /// <summary>Closes the open pairs (both sides) whose client connected from an address <paramref name="cut"/> picks.</summary>
    public void CutWhere(Func<IPAddress?, bool> cut) => Cut(cut);

    private void Cut(Func<IPAddress?, bool>? cut)
    {
        foreach (var (id, pair) in _open)
        {
            // A pair whose client closed on its own may still be listed: CutAll must not depend on its address.
            if ((cut is null || cut(RemoteAddress(pair.Client))) && _open.TryRemove(id, out _))
            {
                pair.Client.Dispose();
                pair.Upstream.Dispose();
            }
        }
    }

    /// <summary>The address a client connected from, or <see langword="null"/> once its socket is closed.</summary>
    public static IPAddress? RemoteAddress(TcpClient client)
    {
        try
        {
            return (client.Client?.RemoteEndPoint as IPEndPoint)?.Address; // Client is null once the TcpClient is disposed
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            return null;
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
            Interlocked.Increment(ref _accepted);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        try
        {
            await _serve(client, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side went away.
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>Stops listening and cuts every connection without waiting for the accept loop.</summary>
    public void Stop()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _stop.Cancel();
        _listener.Stop();
        CutAll();
    }

    /// <summary>Stops listening, cuts every connection and waits for the accept loop to end.</summary>
    public async Task StopAsync()
    {
        Stop();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    internal readonly struct OpenConnection(LoopbackListener owner, int id) : IDisposable
    {
        public void Dispose() => owner._open.TryRemove(id, out _);
    }
}
