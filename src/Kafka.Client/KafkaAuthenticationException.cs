using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Kafka.Client;

/// <summary>
/// A broker could not be authenticated to, or refused to authenticate the client. With TLS: the broker's certificate
/// is not trusted, has expired or does not name the broker's host, or the broker refused the client (it requires a
/// client certificate, or rejected the one sent). With SASL (<see cref="SaslMechanism"/> is set): wrong credentials, an
/// unknown user, a refused token, a mechanism the broker does not enable, or a broker that could not prove it knows the
/// password. Not retriable: trying again gives the same answer until the configuration, the credentials or the
/// certificates change. The client does not retry it in a loop; later calls reconnect after the reconnect backoff. The
/// message names the broker and the mechanism, never a secret.
/// </summary>
public sealed class KafkaAuthenticationException : KafkaException
{
    /// <summary>Creates an authentication error for the broker at <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <param name="host">The broker's host.</param>
    /// <param name="port">The broker's port.</param>
    /// <param name="message">What failed and why, naming the broker.</param>
    /// <param name="sslPolicyErrors">What the client found wrong with the broker's certificate, if anything.</param>
    /// <param name="chainStatus">The certificate chain's problems, if any.</param>
    /// <param name="innerException">The TLS layer's error.</param>
    public KafkaAuthenticationException(
        string host,
        int port,
        string message,
        SslPolicyErrors sslPolicyErrors = SslPolicyErrors.None,
        X509ChainStatusFlags chainStatus = X509ChainStatusFlags.NoError,
        Exception? innerException = null)
        : base(message, isRetriable: false, innerException)
    {
        Host = host;
        Port = port;
        SslPolicyErrors = sslPolicyErrors;
        ChainStatus = chainStatus;
    }

    /// <summary>Creates a SASL authentication error for the broker at <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <param name="host">The broker's host.</param>
    /// <param name="port">The broker's port.</param>
    /// <param name="message">What failed and why, naming the broker and the mechanism (never a secret).</param>
    /// <param name="saslMechanism">The SASL mechanism, as SASL names it (<c>SCRAM-SHA-512</c>).</param>
    /// <param name="innerException">The cause, if any.</param>
    public KafkaAuthenticationException(string host, int port, string message, string saslMechanism, Exception? innerException = null)
        : base(message, isRetriable: false, innerException)
    {
        Host = host;
        Port = port;
        SaslMechanism = saslMechanism;
    }

    /// <summary>The host of the broker.</summary>
    public string Host { get; }

    /// <summary>The port of the broker.</summary>
    public int Port { get; }

    /// <summary>
    /// What the client found wrong with the broker's certificate (untrusted chain, name mismatch, no certificate);
    /// <see cref="SslPolicyErrors.None"/> when it was the broker that refused the client.
    /// </summary>
    public SslPolicyErrors SslPolicyErrors { get; }

    /// <summary>The problems of the broker's certificate chain (<c>UntrustedRoot</c>, <c>NotTimeValid</c>, ...), if any.</summary>
    public X509ChainStatusFlags ChainStatus { get; }

    /// <summary>The SASL mechanism (<c>PLAIN</c>, <c>SCRAM-SHA-256</c>, ...) when SASL failed; null for a TLS failure.</summary>
    public string? SaslMechanism { get; }
}
