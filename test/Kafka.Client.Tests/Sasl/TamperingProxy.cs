using System.Text;
using Kafka.Client.Tests.Fixtures;

namespace Kafka.Client.Tests.Sasl;

/// <summary>
/// A man in the middle between the client and a <see cref="Kafka.Testing.SaslProxy"/>, for what no real server can be
/// made to do: swallow the client's SaslAuthenticate requests (an authentication step that never answers), or forge the
/// SCRAM server signature (a broker that does not know the password). Everything else passes unchanged.
/// </summary>
internal sealed class TamperingProxy : InterceptingProxy
{
    private const short SaslAuthenticate = 36;

    private readonly bool _swallowAuthenticate;
    private readonly bool _forgeServerSignature;
    private int _swallowed;

    public TamperingProxy(string host, int port, bool swallowAuthenticate = false, bool forgeServerSignature = false)
        : base(host, port)
    {
        _swallowAuthenticate = swallowAuthenticate;
        _forgeServerSignature = forgeServerSignature;
        Start();
    }

    /// <summary>How many SaslAuthenticate requests were swallowed.</summary>
    public int Swallowed => Volatile.Read(ref _swallowed);

    protected override bool ForwardRequest(short apiKey, byte[] frame)
    {
        if (apiKey == SaslAuthenticate && _swallowAuthenticate)
        {
            Interlocked.Increment(ref _swallowed);
            return false;
        }
        return true;
    }

    protected override Task ForwardResponseAsync(short apiKey, byte[] frame, Stream client)
    {
        if (_forgeServerSignature && apiKey == SaslAuthenticate)
        {
            // A SCRAM server-final-message is "v=" and base64: change one character of the signature.
            var at = Encoding.ASCII.GetString(frame).IndexOf("v=", StringComparison.Ordinal);
            if (at >= 0)
            {
                frame[at + 2] = (byte)(frame[at + 2] == (byte)'A' ? 'B' : 'A');
            }
        }
        return WriteFrameAsync(client, frame);
    }
}
