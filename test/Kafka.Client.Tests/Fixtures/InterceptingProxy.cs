using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Kafka.Client.Tests.Fixtures;

/// <summary>
/// A TCP proxy in front of one broker that hands each request and response frame, with the API key of the request, to
/// the derived fixture, which forwards it unchanged, changes it, drops it or cuts the connection: what no real broker
/// can be made to do. The derived constructor calls <see cref="LoopbackServer.Start"/> once its own fields are set.
/// </summary>
internal abstract class InterceptingProxy(string host, int port) : LoopbackServer
{
    /// <summary>Whether to forward a request to the broker (false drops it, and its answer never comes).</summary>
    protected virtual bool ForwardRequest(short apiKey, byte[] frame) => true;

    /// <summary>Writes a response (without its size) to the client; <paramref name="apiKey"/> is its request's.</summary>
    protected virtual Task ForwardResponseAsync(short apiKey, byte[] frame, Stream client) => WriteFrameAsync(client, frame);

    protected sealed override async Task ServeAsync(TcpClient client)
    {
        using var server = new TcpClient { NoDelay = true };
        Track(server);
        await server.ConnectAsync(host, port, Stopping);
        var apiKeys = new ConcurrentDictionary<int, short>();
        var upstream = ForwardRequestsAsync(client.GetStream(), server.GetStream(), apiKeys);
        var downstream = ForwardResponsesAsync(server.GetStream(), client.GetStream(), apiKeys);
        await Task.WhenAny(upstream, downstream);
    }

    private async Task ForwardRequestsAsync(Stream from, Stream to, ConcurrentDictionary<int, short> apiKeys)
    {
        while (await ReadFrameAsync(from) is { } frame)
        {
            var apiKey = BinaryPrimitives.ReadInt16BigEndian(frame);
            apiKeys[BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4))] = apiKey;
            if (ForwardRequest(apiKey, frame))
            {
                await WriteFrameAsync(to, frame);
            }
        }
    }

    private async Task ForwardResponsesAsync(Stream from, Stream to, ConcurrentDictionary<int, short> apiKeys)
    {
        while (await ReadFrameAsync(from) is { } frame)
        {
            apiKeys.TryRemove(BinaryPrimitives.ReadInt32BigEndian(frame), out var apiKey);
            await ForwardResponseAsync(apiKey, frame, to);
        }
    }
}
