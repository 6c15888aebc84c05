using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kafka.Testing.Internal.Sasl;

/// <summary>
/// The broker side of OAUTHBEARER as Kafka's default (unsecured) validator runs it: the client's message is parsed as
/// RFC 7628 describes (<c>n,[a=authzid],^Aauth=Bearer token^A[key=value^A]...^A</c>), the token must be an unsecured JWS
/// (<c>alg: none</c>, empty signature) whose claims name a principal, have not expired, were not issued in the future,
/// and carry the required scopes. A refused token gets RFC 7628's JSON error as a challenge; the client answers it with a
/// lone <c>^A</c> and then fails. No other OAUTHBEARER server can be had from Debian (neither Cyrus nor GNU SASL has one).
/// </summary>
internal sealed partial class OAuthBearerUnsecuredServer(OAuthBearerValidation validation) : ISaslServerFactory
{
    public ISaslServerSession Start(string mechanism) => new Session(validation);

    public void Dispose()
    {
    }

    // The grammar of Kafka's OAuthBearerClientInitialResponse, from RFC 7628 section 3.1.
    [GeneratedRegex("^n,(a=(?<authzid>(?:[\\x01-\\x7F-[=,]]|=2C|=3D)+))?,\\x01(?<kvpairs>([A-Za-z]+=[\\x21-\\x7E \\t\\r\\n]+\\x01)*)\\x01$")]
    private static partial Regex ClientInitialResponse();

    [GeneratedRegex("^(?<scheme>\\w+) +(?<token>[-_.a-zA-Z0-9]+)$")]
    private static partial Regex AuthValue();

    private sealed class Session(OAuthBearerValidation validation) : ISaslServerSession
    {
        private string? _error;
        private bool _complete;

        public string? Principal { get; private set; }

        public DateTimeOffset? CredentialExpiry { get; private set; }

        public IReadOnlyDictionary<string, string> Extensions { get; private set; } = new Dictionary<string, string>();

        public SaslStepResult Step(ReadOnlySpan<byte> clientToken)
        {
            if (_complete)
            {
                return SaslStepResult.Fail("OAUTHBEARER: the exchange is already complete.");
            }
            if (_error is not null)
            {
                // After an error challenge the client must answer with a single ^A; the server then fails.
                return clientToken is [0x01]
                    ? SaslStepResult.Fail(_error)
                    : SaslStepResult.Fail($"OAUTHBEARER: expected ^A after the error challenge, got {clientToken.Length} bytes.");
            }
            var text = Encoding.UTF8.GetString(clientToken);
            var match = ClientInitialResponse().Match(text);
            if (!match.Success)
            {
                return SaslStepResult.Fail("OAUTHBEARER: the client's message is not an RFC 7628 initial client response.");
            }
            var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in match.Groups["kvpairs"].Value.Split('\x01', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (!pairs.TryAdd(pair[..equals], pair[(equals + 1)..]))
                {
                    return SaslStepResult.Fail($"OAUTHBEARER: the key '{pair[..equals]}' appears twice.");
                }
            }
            if (!pairs.Remove("auth", out var auth))
            {
                return SaslStepResult.Fail("OAUTHBEARER: the client's message has no auth key.");
            }
            var authMatch = AuthValue().Match(auth);
            if (!authMatch.Success || !string.Equals(authMatch.Groups["scheme"].Value, "Bearer", StringComparison.OrdinalIgnoreCase))
            {
                return SaslStepResult.Fail("OAUTHBEARER: the auth value is not 'Bearer <token>'.");
            }
            var refusal = Validate(authMatch.Groups["token"].Value, out var principal, out var expiry);
            if (refusal is not null)
            {
                _error = $"OAUTHBEARER: token refused ({refusal.Value.Reason})";
                var json = refusal.Value.Scope is null
                    ? "{\"status\":\"invalid_token\"}"
                    : $"{{\"status\":\"insufficient_scope\", \"scope\":\"{refusal.Value.Scope}\"}}";
                return new SaslStepResult(SaslStepStatus.Continue, Encoding.UTF8.GetBytes(json));
            }
            var authzid = match.Groups["authzid"].Success ? match.Groups["authzid"].Value.Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal) : "";
            if (authzid.Length > 0 && authzid != principal)
            {
                return SaslStepResult.Fail(
                    $"Authentication failed: Client requested an authorization id ({authzid}) that is different from the token's principal name ({principal})");
            }
            Principal = principal;
            CredentialExpiry = expiry;
            Extensions = pairs;
            _complete = true;
            return new SaslStepResult(SaslStepStatus.Complete, []);
        }

        private (string Reason, string? Scope)? Validate(string token, out string? principal, out DateTimeOffset expiry)
        {
            principal = null;
            expiry = default;
            var parts = token.Split('.');
            if (parts.Length != 3)
            {
                return ("not a JWS of three parts", null);
            }
            if (parts[2].Length != 0)
            {
                return ("an unsecured JWS has an empty signature", null);
            }
            JsonElement header, claims;
            try
            {
                header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0])).RootElement.Clone();
                claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])).RootElement.Clone();
            }
            catch (Exception ex) when (ex is FormatException or JsonException)
            {
                return ($"the header or claims are not base64url JSON: {ex.Message}", null);
            }
            if (header.ValueKind != JsonValueKind.Object || !header.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != "none")
            {
                return ("the header does not say alg: none", null);
            }
            if (claims.ValueKind != JsonValueKind.Object)
            {
                return ("the claims are not a JSON object", null);
            }
            if (!claims.TryGetProperty(validation.PrincipalClaim, out var sub) || sub.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(sub.GetString()))
            {
                return ($"no string claim '{validation.PrincipalClaim}' names the principal", null);
            }
            var now = validation.TimeProvider.GetUtcNow();
            if (!claims.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number)
            {
                return ("no numeric 'exp' claim", null);
            }
            expiry = DateTimeOffset.UnixEpoch.AddMilliseconds(exp.GetDouble() * 1000);
            if (now > expiry + validation.AllowableClockSkew)
            {
                return (string.Create(CultureInfo.InvariantCulture, $"it expired at {expiry:O}, now is {now:O}"), null);
            }
            if (claims.TryGetProperty("iat", out var iat))
            {
                if (iat.ValueKind != JsonValueKind.Number)
                {
                    return ("the 'iat' claim is not a number", null);
                }
                var issued = DateTimeOffset.UnixEpoch.AddMilliseconds(iat.GetDouble() * 1000);
                if (issued > now + validation.AllowableClockSkew)
                {
                    return ("it was issued in the future", null);
                }
                if (issued > expiry)
                {
                    return ("it was issued after it expires", null);
                }
            }
            var scopes = new HashSet<string>(StringComparer.Ordinal);
            if (claims.TryGetProperty(validation.ScopeClaim, out var scope))
            {
                if (scope.ValueKind == JsonValueKind.String)
                {
                    scopes.UnionWith(scope.GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                }
                else if (scope.ValueKind == JsonValueKind.Array)
                {
                    scopes.UnionWith(scope.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String).Select(s => s.GetString()!));
                }
            }
            var missing = validation.RequiredScopes.Where(s => !scopes.Contains(s)).ToList();
            if (missing.Count > 0)
            {
                return ($"it lacks the scope(s) {string.Join(" ", missing)}", string.Join(" ", validation.RequiredScopes));
            }
            principal = sub.GetString();
            return null;
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>What the unsecured OAUTHBEARER validator checks, from <see cref="SaslProxyOptions"/>.</summary>
internal sealed record OAuthBearerValidation(string PrincipalClaim, string ScopeClaim, IReadOnlyList<string> RequiredScopes, TimeSpan AllowableClockSkew, TimeProvider TimeProvider);
