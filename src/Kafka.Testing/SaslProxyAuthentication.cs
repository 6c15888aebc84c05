namespace Kafka.Testing;

/// <summary>A successful authentication (or re-authentication) a <see cref="SaslProxy"/> saw.</summary>
/// <param name="Mechanism">The SASL mechanism.</param>
/// <param name="Principal">Who the client authenticated as.</param>
/// <param name="IsReauthentication">Whether it renewed the session of an authenticated connection (KIP-368).</param>
/// <param name="SessionLifetime">The session lifetime sent to the client; null when sessions do not expire.</param>
/// <param name="SaslAuthenticateVersion">The SaslAuthenticate version the client used.</param>
/// <param name="Extensions">The SASL extensions the client sent (OAUTHBEARER, KIP-342).</param>
/// <param name="ConnectionId">Which accepted connection it happened on (1 for the first).</param>
/// <param name="Time">When, by the proxy's clock.</param>
public sealed record SaslProxyAuthentication(
    string Mechanism,
    string Principal,
    bool IsReauthentication,
    TimeSpan? SessionLifetime,
    short SaslAuthenticateVersion,
    IReadOnlyDictionary<string, string> Extensions,
    int ConnectionId,
    DateTimeOffset Time);
