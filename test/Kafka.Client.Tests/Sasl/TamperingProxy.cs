using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Kafka.Client.Tests.Fixtures;

namespace Kafka.Client.Tests.Sasl;

/// <summary>
/// A man in the middle between the client and a <see cref="Kafka.Testing.SaslProxy"/>, for what no real server can be
/// made to do: swallow the client's SaslAuthenticate requests (an authentication step that never answers), or forge the
/// SCRAM server signature (a broker that does not know the password). Everything else passes unchanged.
/// </summary>
internal sealed class TamperingProxy : LoopbackServer
{
    private const short SaslAuthenticate = 36;

    private readonly string _host;
    private readonly int _port;
    private readonly bool _swallowAuthenticate;
    private readonly bool _forgeServerSignature;
    private int _swallowed;

    public TamperingProxy(string host, int port, bool swallowAuthenticate = false, bool forgeServerSignature = false)
    {
        _host = host;
        _port = port;
        _swallowAuthenticate = swallowAuthenticate;
        _forgeServerSignature = forgeServerSignature;
        Start();
    }

    /// <summary>How many SaslAuthenticate requests were swallowed.</summary>
    public int Swallowed => Volatile.Read(ref _swallowed);

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
            var apiKey = BinaryPrimitives.ReadInt16BigEndian(frame);
            apiKeys[BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4))] = apiKey;
            if (apiKey == SaslAuthenticate && _swallowAuthenticate)
            {
                Interlocked.Increment(ref _swallowed);
                continue;
            }
            await WriteFrameAsync(to, frame);
        }
    }

    private async Task ForwardResponsesAsync(Stream from, Stream to, ConcurrentDictionary<int, short> apiKeys)
    {
        while (await ReadFrameAsync(from) is { } frame)
        {
            if (_forgeServerSignature && apiKeys.TryGetValue(BinaryPrimitives.ReadInt32BigEndian(frame), out var key) && key == SaslAuthenticate)
            {
                // A SCRAM server-final-message is "v=" and base64: change one character of the signature.
                var text = Encoding.ASCII.GetString(frame);
                var at = text.IndexOf("v=", StringComparison.Ordinal);
                if (at >= 0)
                {
                    frame[at + 2] = (byte)(frame[at + 2] == (byte)'A' ? 'B' : 'A');
                }
            }
            await WriteFrameAsync(to, frame);
        }
    }
}
