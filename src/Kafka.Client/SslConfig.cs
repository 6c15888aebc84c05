using System.Text;
using System.Text.Json.Serialization;

namespace Kafka.Client;

/// <summary>
/// TLS settings of a <see cref="KafkaClient"/> (pykafka's <c>SslConfig(cafile, certfile, keyfile, password)</c>).
/// When <see cref="KafkaClientOptions.Ssl"/> is set, every host in <see cref="KafkaClientOptions.Hosts"/> is a TLS
/// port and every connection the client opens is TLS 1.2 or 1.3. Files are PEM; they are read and checked once,
/// when the client is created. Settable properties, so the section binds from configuration
/// (<c>Kafka:Ssl:CaFile</c>, ...).
/// </summary>
/// <example>
/// <code>
/// var options = new KafkaClientOptions
/// {
///     Hosts = "broker1:9093",
///     Ssl = new SslConfig { CaFile = "/etc/kafka/ca.pem", CertFile = "/etc/kafka/client.pem", KeyFile = "/etc/kafka/client.key", Password = secret },
/// };
/// </code>
/// </example>
public sealed class SslConfig
{
    /// <summary>
    /// A PEM file of the CA certificates that brokers' certificates must chain to. When it is not set, the system's
    /// trust store is used. pykafka: <c>cafile</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (the system trust store).</value>
    public string? CaFile { get; set; }

    /// <summary>
    /// A PEM file with the client's certificate (and any intermediate certificates after it), for mutual TLS. It may
    /// also hold the private key, in which case <see cref="KeyFile"/> can be left unset. pykafka: <c>certfile</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (no client certificate).</value>
    public string? CertFile { get; set; }

    /// <summary>
    /// A PEM file with the private key of <see cref="CertFile"/>: PKCS#8 (<c>PRIVATE KEY</c>, or
    /// <c>ENCRYPTED PRIVATE KEY</c> with <see cref="Password"/>), PKCS#1 (<c>RSA PRIVATE KEY</c>) or SEC1
    /// (<c>EC PRIVATE KEY</c>). pykafka: <c>keyfile</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? KeyFile { get; set; }

    /// <summary>
    /// The password of an encrypted (<c>ENCRYPTED PRIVATE KEY</c>) private key. It is never logged, never put in an
    /// exception message, not shown by <see cref="ToString"/> and not written by <c>System.Text.Json</c>. pykafka:
    /// <c>password</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    [JsonIgnore]
    public string? Password { get; set; }

    /// <summary>
    /// Whether the broker's certificate must name the host the client connects to (the host in
    /// <see cref="KafkaClientOptions.Hosts"/> or the one the broker advertises). pykafka turned this check off;
    /// without it, any certificate signed by a trusted CA is accepted for any broker.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool CheckHostname { get; set; } = true;

    /// <summary>Shows the files and whether a password is set; never the password.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("SslConfig { ");
        // Blank values count as unset, as the validator and the connections treat them.
        text.Append("CaFile = ").Append(string.IsNullOrWhiteSpace(CaFile) ? "(system trust store)" : CaFile);
        if (!string.IsNullOrWhiteSpace(CertFile))
        {
            text.Append(", CertFile = ").Append(CertFile);
        }
        if (!string.IsNullOrWhiteSpace(KeyFile))
        {
            text.Append(", KeyFile = ").Append(KeyFile);
        }
        if (!string.IsNullOrEmpty(Password))
        {
            text.Append(", Password = ***");
        }
        text.Append(", CheckHostname = ").Append(CheckHostname ? "true" : "false").Append(" }");
        return text.ToString();
    }

    internal SslConfig Clone() => (SslConfig)MemberwiseClone();
}
