namespace Kafka.Client.Internal.Sasl;

/// <summary>
/// Checks <see cref="KafkaClientOptions.Sasl"/> and <see cref="KafkaClientOptions.ConnectionString"/>, adding every
/// problem with its key (<c>Sasl:Username: ...</c>). No message holds a password, a token or the connection string.
/// </summary>
internal static class SaslValidation
{
    private const string Sasl = nameof(KafkaClientOptions.Sasl);
    private const string MechanismKey = Sasl + ":" + nameof(SaslConfig.Mechanism);
    private const string UsernameKey = Sasl + ":" + nameof(SaslConfig.Username);
    private const string PasswordKey = Sasl + ":" + nameof(SaslConfig.Password);
    private const string TokenProviderKey = Sasl + ":" + nameof(SaslConfig.OAuthBearerTokenProvider);
    private const string ServiceNameKey = Sasl + ":" + nameof(SaslConfig.KerberosServiceName);

    public static void Validate(KafkaClientOptions options, List<string> errors)
    {
        if (options.ConnectionString is { } connectionString)
        {
            EventHubsConnectionString.Validate(connectionString, options, errors);
            return;
        }
        if (options.Sasl is { } sasl)
        {
            Validate(sasl, errors);
        }
    }

    private static void Validate(SaslConfig sasl, List<string> errors)
    {
        var mechanisms = string.Join(", ", Enum.GetNames<SaslMechanism>());
        if (sasl.Mechanism is not { } mechanism)
        {
            errors.Add($"{MechanismKey}: must be set ({mechanisms}).");
            return;
        }
        if (!Enum.IsDefined(mechanism))
        {
            errors.Add($"{MechanismKey}: {(int)mechanism} is not a mechanism ({mechanisms}).");
            return;
        }
        var hasUser = !string.IsNullOrEmpty(sasl.Username);
        var hasPassword = !string.IsNullOrEmpty(sasl.Password);
        switch (mechanism)
        {
            case SaslMechanism.Plain:
            case SaslMechanism.ScramSha256:
            case SaslMechanism.ScramSha512:
                if (!hasUser)
                {
                    errors.Add($"{UsernameKey}: must be set for {mechanism}.");
                }
                if (!hasPassword)
                {
                    errors.Add($"{PasswordKey}: must be set for {mechanism}.");
                }
                if (mechanism == SaslMechanism.Plain && (sasl.Username?.Contains('\0', StringComparison.Ordinal) == true))
                {
                    errors.Add($"{UsernameKey}: holds a NUL character, which PLAIN cannot carry.");
                }
                if (mechanism == SaslMechanism.Plain && (sasl.Password?.Contains('\0', StringComparison.Ordinal) == true))
                {
                    errors.Add($"{PasswordKey}: holds a NUL character, which PLAIN cannot carry.");
                }
                if (sasl.OAuthBearerTokenProvider is not null)
                {
                    errors.Add($"{TokenProviderKey}: is set but {MechanismKey} is {mechanism}; the provider serves OAuthBearer only.");
                }
                break;
            case SaslMechanism.OAuthBearer:
                if (sasl.OAuthBearerTokenProvider is null)
                {
                    errors.Add($"{TokenProviderKey}: must be set for OAuthBearer (in a host: ConfigureOAuthBearer on the client builder).");
                }
                if (hasUser || hasPassword)
                {
                    errors.Add($"{(hasUser ? UsernameKey : PasswordKey)}: is not used by OAuthBearer; the token provider authenticates the client.");
                }
                break;
            case SaslMechanism.Gssapi:
                if (string.IsNullOrWhiteSpace(sasl.KerberosServiceName))
                {
                    errors.Add($"{ServiceNameKey}: must be set for Gssapi (the brokers' Kerberos service name, usually kafka).");
                }
                if (hasPassword != hasUser)
                {
                    errors.Add(hasPassword
                        ? $"{PasswordKey}: is set but {UsernameKey} is not; Gssapi logs in with both, or uses the ticket cache with neither."
                        : $"{UsernameKey}: is set but {PasswordKey} is not; Gssapi logs in with both, or uses the ticket cache (kinit, KRB5CCNAME) with neither.");
                }
                if (sasl.OAuthBearerTokenProvider is not null)
                {
                    errors.Add($"{TokenProviderKey}: is set but {MechanismKey} is Gssapi; the provider serves OAuthBearer only.");
                }
                break;
        }
    }
}
