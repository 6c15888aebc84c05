namespace Kafka.Client;

/// <summary>
/// The SASL mechanisms' names as Kafka and its other clients write them (<c>sasl.mechanism=SCRAM-SHA-256</c>), next to
/// <see cref="SaslMechanism"/>'s names, so that settings copied from another client's configuration are understood.
/// </summary>
public static class SaslMechanismNames
{
    private static readonly (string Name, SaslMechanism Mechanism)[] Names =
    [
        ("PLAIN", SaslMechanism.Plain),
        ("SCRAM-SHA-256", SaslMechanism.ScramSha256),
        ("SCRAM-SHA-512", SaslMechanism.ScramSha512),
        ("OAUTHBEARER", SaslMechanism.OAuthBearer),
        ("GSSAPI", SaslMechanism.Gssapi),
    ];

    /// <summary>Kafka's names of every mechanism the client speaks, comma-separated, for messages and help texts.</summary>
    public static string All { get; } = string.Join(", ", Names.Select(n => n.Name));

    /// <summary>The mechanism's name as SASL and Kafka write it (<c>SCRAM-SHA-256</c> for <see cref="SaslMechanism.ScramSha256"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mechanism"/> is not a defined value.</exception>
    public static string ToKafkaName(SaslMechanism mechanism)
    {
        foreach (var (name, value) in Names)
        {
            if (value == mechanism)
            {
                return name;
            }
        }
        throw new ArgumentOutOfRangeException(nameof(mechanism), mechanism, "Not a SASL mechanism this client speaks.");
    }

    /// <summary>
    /// Reads a mechanism from Kafka's name (<c>SCRAM-SHA-256</c>) or from <see cref="SaslMechanism"/>'s
    /// (<c>ScramSha256</c>), ignoring case.
    /// </summary>
    /// <returns>Whether <paramref name="name"/> names a mechanism the client speaks.</returns>
    public static bool TryParse(string? name, out SaslMechanism mechanism)
    {
        var trimmed = name.AsSpan().Trim();
        foreach (var (kafkaName, value) in Names)
        {
            if (trimmed.Equals(kafkaName, StringComparison.OrdinalIgnoreCase) || trimmed.Equals(value.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                mechanism = value;
                return true;
            }
        }
        mechanism = default;
        return false;
    }
}
