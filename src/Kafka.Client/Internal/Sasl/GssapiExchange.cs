using System.Buffers;
using System.Net;
using System.Net.Security;

namespace Kafka.Client.Internal.Sasl;

/// <summary>
/// GSSAPI (RFC 4752) over .NET's <see cref="NegotiateAuthentication"/> with the Kerberos package (MIT Kerberos's GSS-API
/// on Linux, SSPI on Windows): the Kerberos context tokens until the context is established (mutual authentication), then
/// the security-layer negotiation, in which the client, as Kafka's, chooses no security layer (TLS, if any, protects the
/// connection). The broker is <c>service/host</c>, the host as the client connects to it.
/// </summary>
internal sealed class GssapiExchange : SaslExchange
{
    private const byte NoSecurityLayer = 0x01;

    private readonly NegotiateAuthentication _context;
    private readonly string _target;
    private bool _layerChosen;

    public GssapiExchange(string serviceName, string host, string? username, string? password)
    {
        _target = serviceName + "/" + host;
        _context = new NegotiateAuthentication(new NegotiateAuthenticationClientOptions
        {
            Package = "Kerberos",
            TargetName = _target,
            // Without a user the ticket cache (kinit, KRB5CCNAME) or the client keytab (KRB5_CLIENT_KTNAME) is used.
            Credential = username is null ? CredentialCache.DefaultNetworkCredentials : new NetworkCredential(username, password),
            RequireMutualAuthentication = true,
            // Integrity makes the context able to wrap the security-layer message.
            RequiredProtectionLevel = ProtectionLevel.Sign,
        });
    }

    public override byte[] Start() => Context(ReadOnlySpan<byte>.Empty) ?? [];

    public override byte[]? Next(ReadOnlySpan<byte> serverMessage)
    {
        if (!_context.IsAuthenticated)
        {
            // The last context token may be empty: RFC 4752 then sends an empty response.
            return Context(serverMessage) ?? [];
        }
        if (_layerChosen)
        {
            return null;
        }
        if (serverMessage.IsEmpty)
        {
            // Some servers answer the final empty context token with an empty challenge before the layer message.
            return [];
        }
        var unwrapped = new ArrayBufferWriter<byte>();
        var status = _context.Unwrap(serverMessage, unwrapped, out _);
        if (status != NegotiateAuthenticationStatusCode.Completed || unwrapped.WrittenCount != 4)
        {
            throw new SaslExchangeException($"the broker's GSSAPI security-layer message could not be read ({status}, {unwrapped.WrittenCount} bytes)");
        }
        if ((unwrapped.WrittenSpan[0] & NoSecurityLayer) == 0)
        {
            throw new SaslExchangeException("the broker requires a GSSAPI security layer (integrity or confidentiality); Kafka brokers offer none, and this client does not support them");
        }
        // No security layer, no maximum message size, no authorization id (the principal is the authenticated one).
        var wrapped = new ArrayBufferWriter<byte>();
        status = _context.Wrap([NoSecurityLayer, 0, 0, 0], wrapped, requestEncryption: false, out _);
        if (status != NegotiateAuthenticationStatusCode.Completed)
        {
            throw new SaslExchangeException($"wrapping the GSSAPI security-layer answer failed ({status})");
        }
        _layerChosen = true;
        return wrapped.WrittenSpan.ToArray();
    }

    private byte[]? Context(ReadOnlySpan<byte> incoming)
    {
        var token = _context.GetOutgoingBlob(incoming, out var status);
        if (status is not (NegotiateAuthenticationStatusCode.Completed or NegotiateAuthenticationStatusCode.ContinueNeeded))
        {
            throw new SaslExchangeException($"Kerberos could not authenticate to {_target}: {Describe(status)}");
        }
        return token;
    }

    private static string Describe(NegotiateAuthenticationStatusCode status) => status switch
    {
        NegotiateAuthenticationStatusCode.UnknownCredentials =>
            "no usable credentials (no ticket in the cache and no keytab, or a wrong password) (UnknownCredentials)",
        NegotiateAuthenticationStatusCode.CredentialsExpired => "the ticket or password has expired (CredentialsExpired)",
        NegotiateAuthenticationStatusCode.TargetUnknown =>
            "the KDC does not know the broker's principal; check Sasl:KerberosServiceName and that the broker's host name is its principal's (TargetUnknown)",
        NegotiateAuthenticationStatusCode.Unsupported => "Kerberos is not available here (install MIT Kerberos's libgssapi-krb5-2) (Unsupported)",
        _ => status.ToString(),
    };

    public override void Dispose() => _context.Dispose();
}
