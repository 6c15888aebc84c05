namespace Kafka.Client;

/// <summary>The SASL mechanisms the client speaks (<see cref="SaslConfig.Mechanism"/>).</summary>
public enum SaslMechanism
{
    /// <summary><c>PLAIN</c> (RFC 4616): the user name and password, in clear; use it with TLS.</summary>
    Plain = 1,

    /// <summary><c>SCRAM-SHA-256</c> (RFC 5802, RFC 7677): the password is never sent, and the broker proves it knows it.</summary>
    ScramSha256,

    /// <summary><c>SCRAM-SHA-512</c>: as <see cref="ScramSha256"/> with SHA-512.</summary>
    ScramSha512,

    /// <summary><c>OAUTHBEARER</c> (RFC 7628, KIP-255): a bearer token from <see cref="SaslConfig.OAuthBearerTokenProvider"/>.</summary>
    OAuthBearer,

    /// <summary><c>GSSAPI</c>: Kerberos, through the platform's GSS-API (MIT Kerberos on Linux) or SSPI (Windows).</summary>
    Gssapi,
}
