using System.Text;
using System.Text.Json.Serialization;

namespace Kafka.Client;

/// <summary>
/// SASL authentication of a <see cref="KafkaClient"/> (Kafka's <c>sasl.mechanism</c>, <c>sasl.username</c>,
/// <c>sasl.password</c>...). When <see cref="KafkaClientOptions.Sasl"/> is set, every connection authenticates right after
/// ApiVersions, over plaintext or over TLS (with <see cref="KafkaClientOptions.Ssl"/>), and re-authenticates before the
/// session the broker grants ends (KIP-368). Settable properties, so the section binds from configuration
/// (<c>Kafka:Sasl:Mechanism</c>, <c>Kafka:Sasl:Username</c>, <c>Kafka:Sasl:Password</c>).
/// </summary>
/// <example>
/// <code>
/// var options = new KafkaClientOptions
/// {
///     Hosts = "broker1:9096",
///     Ssl = new SslConfig(),
///     Sasl = new SaslConfig { Mechanism = SaslMechanism.ScramSha512, Username = "orders-service", Password = secret },
/// };
/// </code>
/// </example>
public sealed class SaslConfig
{
    /// <summary>The default of <see cref="KerberosServiceName"/>.</summary>
    public const string DefaultKerberosServiceName = "kafka";

    /// <summary>The mechanism. It must be set; the broker must enable it (<c>sasl.enabled.mechanisms</c>).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public SaslMechanism? Mechanism { get; set; }

    /// <summary>
    /// The user name for <see cref="SaslMechanism.Plain"/> and the SCRAM mechanisms; for <see cref="SaslMechanism.Gssapi"/>,
    /// the Kerberos principal (<c>user</c> or <c>user@REALM</c>) when the client should log in with
    /// <see cref="Password"/> rather than use the ticket cache.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Username { get; set; }

    /// <summary>
    /// The password of <see cref="Username"/>. It is never logged, never put in an exception message, not shown by
    /// <see cref="ToString"/> and not written by <c>System.Text.Json</c>. Keep it out of appsettings.json: user secrets,
    /// an environment variable (<c>Kafka__Sasl__Password</c>) or a vault.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    [JsonIgnore]
    public string? Password { get; set; }

    /// <summary>
    /// Where <see cref="SaslMechanism.OAuthBearer"/> gets its tokens: called when a connection authenticates and no token is
    /// held that is valid for long enough, again before the held one expires (at 80% of its life), and never by two
    /// connections at once. In a host, <c>ConfigureOAuthBearer((services, ct) => ...)</c> sets it from a service (an Azure
    /// <c>TokenCredential</c>, an OAuth client). Not bound from configuration.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    [JsonIgnore]
    public Func<CancellationToken, ValueTask<OAuthBearerToken>>? OAuthBearerTokenProvider { get; set; }

    /// <summary>The Kerberos service name of the brokers (the <c>kafka</c> of <c>kafka/broker1.example.com@REALM</c>).</summary>
    /// <value>The default value is <c>kafka</c>.</value>
    public string KerberosServiceName { get; set; } = DefaultKerberosServiceName;

    /// <summary>Shows the mechanism, the user and whether a password or token provider is set; never the password.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("SaslConfig { Mechanism = ").Append(Mechanism?.ToString() ?? "(not set)");
        if (!string.IsNullOrEmpty(Username))
        {
            text.Append(", Username = ").Append(Username);
        }
        if (!string.IsNullOrEmpty(Password))
        {
            text.Append(", Password = ***");
        }
        if (OAuthBearerTokenProvider is not null)
        {
            text.Append(", OAuthBearerTokenProvider = (set)");
        }
        if (Mechanism == SaslMechanism.Gssapi)
        {
            text.Append(", KerberosServiceName = ").Append(KerberosServiceName);
        }
        return text.Append(" }").ToString();
    }

    internal SaslConfig Clone() => (SaslConfig)MemberwiseClone();
}
