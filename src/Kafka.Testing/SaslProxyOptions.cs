namespace Kafka.Testing;

/// <summary>How a <see cref="SaslProxy"/> authenticates clients: like a Kafka broker's SASL listener.</summary>
public sealed class SaslProxyOptions
{
    /// <summary>The mechanisms the proxy enables (<c>sasl.enabled.mechanisms</c>), as SASL names them: <c>PLAIN</c>,
    /// <c>SCRAM-SHA-256</c>, <c>SCRAM-SHA-512</c>, <c>OAUTHBEARER</c>, <c>GSSAPI</c>.</summary>
    public required IReadOnlyList<string> Mechanisms { get; init; }

    /// <summary>The users of PLAIN and SCRAM, by name, with their passwords.</summary>
    public IReadOnlyDictionary<string, string> Users { get; init; } = new Dictionary<string, string>();

    /// <summary>Which SASL implementation checks PLAIN, SCRAM and GSSAPI exchanges. OAUTHBEARER is always checked as
    /// Kafka's unsecured validator does (neither library has it).</summary>
    /// <value>The default value is <see cref="SaslServerLibrary.Cyrus"/>.</value>
    public SaslServerLibrary Library { get; init; } = SaslServerLibrary.Cyrus;

    /// <summary>
    /// The broker's <c>connections.max.reauth.ms</c> (KIP-368): how long an authentication lasts. The client is told
    /// (SaslAuthenticate v1+) and must re-authenticate before it ends; a connection that sends any other request after
    /// its session expired is closed. An OAUTHBEARER session also ends when its token expires. Null: sessions do not
    /// expire (and a SaslHandshake after authentication is refused with ILLEGAL_SASL_STATE, as Kafka does).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public TimeSpan? SessionLifetime { get; init; }

    /// <summary>The clock sessions and tokens are checked against (a fake one lets tests expire sessions at will).</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The highest SaslAuthenticate version advertised (0 imitates a broker before Kafka 2.2, which cannot tell
    /// clients the session lifetime).</summary>
    /// <value>The default value is 2.</value>
    public short MaxSaslAuthenticateVersion { get; init; } = 2;

    /// <summary>The Kerberos service name of the broker (<c>sasl.kerberos.service.name</c>).</summary>
    /// <value>The default value is <c>kafka</c>.</value>
    public string KerberosServiceName { get; init; } = "kafka";

    /// <summary>The host part of the broker's Kerberos principal (<c>kafka/host@REALM</c>), which clients must name.</summary>
    /// <value>The default value is <c>localhost</c>.</value>
    public string KerberosHostName { get; init; } = "localhost";

    /// <summary>The OAUTHBEARER claim that names the principal (<c>unsecuredValidatorPrincipalClaimName</c>).</summary>
    /// <value>The default value is <c>sub</c>.</value>
    public string OAuthBearerPrincipalClaim { get; init; } = "sub";

    /// <summary>The OAUTHBEARER claim that lists the token's scopes (<c>unsecuredValidatorScopeClaimName</c>).</summary>
    /// <value>The default value is <c>scope</c>.</value>
    public string OAuthBearerScopeClaim { get; init; } = "scope";

    /// <summary>Scopes every OAUTHBEARER token must carry (<c>unsecuredValidatorRequiredScope</c>).</summary>
    public IReadOnlyList<string> OAuthBearerRequiredScopes { get; init; } = [];

    /// <summary>How far token times may be off (<c>unsecuredValidatorAllowableClockSkewMs</c>).</summary>
    /// <value>The default value is zero.</value>
    public TimeSpan OAuthBearerAllowableClockSkew { get; init; }
}
