using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Kafka.Testing;

/// <summary>How a <see cref="TlsProxy"/> terminates TLS.</summary>
public sealed class TlsProxyOptions
{
    /// <summary>The certificate the proxy presents, with its private key (for example <see cref="TestCertificates.Server"/>).</summary>
    public required X509Certificate2 ServerCertificate { get; init; }

    /// <summary>Whether a client without a certificate is refused. The proxy asks for one whenever this is set or
    /// <see cref="ClientCertificateAuthority"/> is.</summary>
    public bool RequireClientCertificate { get; init; }

    /// <summary>
    /// The CA a client certificate must chain to; a certificate it did not sign is refused. When null, any client
    /// certificate is accepted.
    /// </summary>
    public X509Certificate2? ClientCertificateAuthority { get; init; }

    /// <summary>The TLS versions the proxy accepts.</summary>
    /// <value>The default value is TLS 1.2 and 1.3.</value>
    public SslProtocols Protocols { get; init; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>How long a client may take to complete the handshake before the proxy drops it.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
