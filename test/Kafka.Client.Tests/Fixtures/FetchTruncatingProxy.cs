using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Kafka.Client.Tests.Fixtures;

/// <summary>
/// A TCP proxy in front of one broker that, once armed, cuts the next Fetch response carrying records in the middle
/// and closes the connection: a truncated response as a network failure produces it.
/// </summary>
internal sealed class FetchTruncatingProxy : LoopbackServer
{
    private const short FetchKey = 1;
    private readonly string _host;
    private readonly int _port;
    private int _armed;

    public FetchTruncatingProxy(string host, int port)
    {
        _host = host;
        _port = port;
        Start();
    }

    public int Truncated { get; private set; }

    /// <summary>The next Fetch response larger than <paramref name="minimumSize"/> bytes is cut.</summary>
    public void Arm() => Volatile.Write(ref _armed, 1);

    protected override async Task ServeAsync(TcpClient client)
    {
        using var server = new TcpClient { NoDelay = true };
        Track(server);
        await server.ConnectAsync(_host, _port, Stopping);
        var apiKeys = new ConcurrentDictionary<int, short>();
        var upstream = ForwardRequestsAsync(client.GetStream(), server.GetStream(), apiKeys);
        var downstream = ForwardResponsesAsync(server.GetStream(), client.GetStream(), apiKeys);
        await Task.WhenAny(upstream, downstream);
    }

    private async Task ForwardRequestsAsync(Stream from, Stream to, ConcurrentDictionary<int, short> apiKeys)
    {
        while (await ReadFrameAsync(from) is { } frame)
        {
            apiKeys[BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4))] = BinaryPrimitives.ReadInt16BigEndian(frame);
            await WriteFrameAsync(to, frame);
        }
    }

    private async Task ForwardResponsesAsync(Stream from, Stream to, ConcurrentDictionary<int, short> apiKeys)
    {
        while (await ReadFrameAsync(from) is { } frame)
        {
            apiKeys.TryRemove(BinaryPrimitives.ReadInt32BigEndian(frame), out var key);
            if (key == FetchKey && frame.Length > 200 && Interlocked.CompareExchange(ref _armed, 0, 1) == 1)
            {
                Truncated++;
                var size = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(size, frame.Length);
                await to.WriteAsync(size, Stopping);
                await to.WriteAsync(frame.AsMemory(0, frame.Length / 2), Stopping);
                await to.FlushAsync(Stopping);
                throw new IOException("truncated on purpose");
            }
            await WriteFrameAsync(to, frame);
        }
    }
}
