using System.Text;

namespace Kafka.Client.Internal.Sasl;

/// <summary>
/// OAUTHBEARER (RFC 7628, KIP-255, KIP-342 extensions): one message, <c>n,,^Aauth=Bearer TOKEN^Akey=value^A...^A</c>,
/// as Kafka's OAuthBearerClientInitialResponse writes it. A broker that refuses the token answers with RFC 7628's JSON
/// error; the client answers that with a lone <c>^A</c>, and the broker then fails the exchange.
/// </summary>
internal static class OAuthBearerMechanism
{
    private const char Separator = '\x01';

    /// <summary>Why <paramref name="extensions"/> cannot be sent, or null: names of letters only and not <c>auth</c>,
    /// values of printable ASCII, space, tab, CR and LF (RFC 7628's key and value).</summary>
    public static string? CheckExtensions(IReadOnlyDictionary<string, string> extensions)
    {
        foreach (var (name, value) in extensions)
        {
            if (string.IsNullOrEmpty(name) || !name.All(char.IsAsciiLetter))
            {
                return $"The SASL extension name '{name}' is not letters only (RFC 7628).";
            }
            if (name == "auth")
            {
                return "'auth' is reserved for the token and cannot be a SASL extension.";
            }
            if (string.IsNullOrEmpty(value) || !value.All(c => c is (>= '\x21' and <= '\x7e') or ' ' or '\t' or '\r' or '\n'))
            {
                return $"The value of the SASL extension '{name}' is empty or holds a character RFC 7628 does not allow.";
            }
        }
        return null;
    }

    public static SaslExchange CreateExchange(OAuthBearerToken token) => new Exchange(token);

    private sealed class Exchange(OAuthBearerToken token) : SaslExchange
    {
        private string? _refusal;

        public override string? RefusalDetail => _refusal;

        public override byte[] Start()
        {
            var message = new StringBuilder("n,,").Append(Separator).Append("auth=Bearer ").Append(token.Value).Append(Separator);
            foreach (var (name, value) in token.Extensions.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                message.Append(name).Append('=').Append(value).Append(Separator);
            }
            return Encoding.UTF8.GetBytes(message.Append(Separator).ToString());
        }

        public override byte[]? Next(ReadOnlySpan<byte> serverMessage)
        {
            if (serverMessage.IsEmpty)
            {
                return null;
            }
            if (_refusal is not null)
            {
                throw new SaslExchangeException("the broker went on after refusing the token");
            }
            // RFC 7628 section 3.2.2: an error is a JSON object; the client must answer with %x01 to end the exchange.
            _refusal = Encoding.UTF8.GetString(serverMessage);
            return [0x01];
        }
    }
}
