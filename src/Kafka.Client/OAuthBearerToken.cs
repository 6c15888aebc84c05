using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Kafka.Client;

/// <summary>
/// A bearer token for SASL OAUTHBEARER, as a <see cref="SaslConfig.OAuthBearerTokenProvider"/> returns it: the token
/// itself (usually a JWT), when it expires, who it names, and the SASL extensions (KIP-342) to send with it. The client
/// asks the provider again before <see cref="Expiration"/>; the token is never logged and <see cref="ToString"/> hides it.
/// </summary>
public sealed class OAuthBearerToken
{
    private static readonly IReadOnlyDictionary<string, string> NoExtensions = new Dictionary<string, string>();

    /// <summary>Creates a token.</summary>
    /// <param name="value">The token (a JWT for most providers), sent as <c>auth=Bearer value</c>.</param>
    /// <param name="expiration">When the token stops being valid; the client fetches a new one before then.</param>
    /// <param name="principal">Who the token names, for logs (not sent; the broker reads it from the token).</param>
    /// <param name="extensions">
    /// SASL extensions sent with the token (KIP-342): names of letters only, not <c>auth</c>; values of printable
    /// ASCII, space, tab, CR or LF. Some services need them (Confluent Cloud's <c>logicalCluster</c> and
    /// <c>identityPoolId</c>).
    /// </param>
    /// <exception cref="ArgumentException">An empty token, or an extension the protocol cannot carry.</exception>
    public OAuthBearerToken(string value, DateTimeOffset expiration, string? principal = null, IReadOnlyDictionary<string, string>? extensions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        foreach (var c in value)
        {
            // RFC 6750's b64token: what an Authorization: Bearer header can carry.
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/' or '='))
            {
                throw new ArgumentException("The token holds a character a bearer token cannot (RFC 6750: letters, digits and - . _ ~ + / =).", nameof(value));
            }
        }
        var problem = extensions is null ? null : Internal.Sasl.OAuthBearerMechanism.CheckExtensions(extensions);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(extensions));
        }
        Value = value;
        Expiration = expiration;
        Principal = principal;
        Extensions = extensions is null ? NoExtensions : new Dictionary<string, string>(extensions, StringComparer.Ordinal);
    }

    /// <summary>The token. Never logged.</summary>
    public string Value { get; }

    /// <summary>When the token expires.</summary>
    public DateTimeOffset Expiration { get; }

    /// <summary>Who the token names (for logs), if known.</summary>
    public string? Principal { get; }

    /// <summary>The SASL extensions sent with the token.</summary>
    public IReadOnlyDictionary<string, string> Extensions { get; }

    /// <summary>
    /// An unsecured JWT (<c>alg: none</c>, no signature) naming <paramref name="principal"/>, as Kafka's default
    /// OAUTHBEARER login makes for development: brokers accept it only with the unsecured validator, which no production
    /// cluster uses. For local development and tests only.
    /// </summary>
    /// <param name="principal">The <c>sub</c> claim.</param>
    /// <param name="lifetime">How long the token is valid from now (<c>exp</c>).</param>
    /// <param name="scopes">The <c>scope</c> claim, if any.</param>
    /// <param name="extensions">SASL extensions to send with the token.</param>
    /// <param name="timeProvider">The clock for <c>iat</c> and <c>exp</c>; the system clock by default.</param>
    /// <returns>The token, expiring after <paramref name="lifetime"/>.</returns>
    public static OAuthBearerToken CreateUnsecured(
        string principal,
        TimeSpan lifetime,
        IEnumerable<string>? scopes = null,
        IReadOnlyDictionary<string, string>? extensions = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(principal);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        var expiration = now + lifetime;
        using var claims = new MemoryStream();
        using (var json = new Utf8JsonWriter(claims))
        {
            json.WriteStartObject();
            json.WriteString("sub", principal);
            json.WriteNumber("iat", Math.Floor(now.ToUnixTimeMilliseconds() / 1000.0));
            json.WriteNumber("exp", Math.Floor(expiration.ToUnixTimeMilliseconds() / 1000.0));
            var scopeList = scopes?.ToList();
            if (scopeList is { Count: > 0 })
            {
                json.WriteString("scope", string.Join(' ', scopeList));
            }
            json.WriteEndObject();
        }
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("{\"alg\":\"none\"}"));
        var body = Base64Url.EncodeToString(claims.ToArray());
        // exp has whole seconds: the token is valid until then, not a fraction later.
        var expires = DateTimeOffset.FromUnixTimeSeconds((long)Math.Floor(expiration.ToUnixTimeMilliseconds() / 1000.0));
        return new OAuthBearerToken(header + "." + body + ".", expires, principal, extensions);
    }

    /// <summary>Shows the principal, the expiry and the extension names; never the token.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"OAuthBearerToken {{ Principal = {Principal ?? "(unknown)"}, Expiration = {Expiration:O}, Value = ***{(Extensions.Count == 0 ? "" : ", Extensions = " + string.Join(", ", Extensions.Keys))} }}");
}
