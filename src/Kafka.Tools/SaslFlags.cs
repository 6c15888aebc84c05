using System.Buffers.Text;
using System.CommandLine;
using System.Text.Json;
using Kafka.Client;

namespace Kafka.Tools;

/// <summary>
/// The SASL options: mechanism and user as flags, the secret (a password, or a token for OAUTHBEARER) only from an
/// environment variable or a prompt on the terminal, so it shows in no shell history and no process list.
/// </summary>
internal sealed class SaslFlags
{
    /// <summary>Where the secret is read from unless <c>--sasl-password-env</c> names another variable.</summary>
    public const string DefaultPasswordVariable = "KAFKA_SASL_PASSWORD";

    private static readonly string MechanismNames = SaslMechanismNames.All;

    public Option<string?> Mechanism { get; } = new("--sasl-mechanism")
    {
        Description = $"Authenticate with SASL: {MechanismNames} [default: the config file's Kafka:Sasl:Mechanism]",
        Recursive = true,
    };

    public Option<string?> Username { get; } = new("--sasl-username")
    {
        Description = "The SASL user (PLAIN, SCRAM), or the Kerberos principal to log in as with a password (GSSAPI; without it the ticket cache is used)",
        Recursive = true,
    };

    public Option<string?> PasswordVariable { get; } = new("--sasl-password-env")
    {
        Description = $"The environment variable holding the password (the token for OAUTHBEARER) [default: {DefaultPasswordVariable}; asked for on a terminal when unset]",
        Recursive = true,
    };

    public Option<string?> KerberosServiceName { get; } = new("--sasl-kerberos-service-name")
    {
        Description = $"The brokers' Kerberos service name (GSSAPI) [default: {SaslConfig.DefaultKerberosServiceName}]",
        Recursive = true,
    };

    /// <summary>Not offered: recognised only to refuse it without repeating the password it was given.</summary>
    public Option<string?> RefusedPassword { get; } = new("--sasl-password") { Hidden = true, Recursive = true };

    public IEnumerable<Option> All => [Mechanism, Username, PasswordVariable, KerberosServiceName, RefusedPassword];

    /// <summary>
    /// Applies the flags over what the config file set, then fills in the secret the mechanism needs: from the
    /// environment variable, else by asking on the terminal.
    /// </summary>
    /// <exception cref="ArgumentException">A flag is invalid, or the secret is needed and cannot be had.</exception>
    public void Apply(ParseResult parse, KafkaClientOptions options, ToolConsole console)
    {
        if (parse.GetResult(RefusedPassword) is not null)
        {
            throw new ArgumentException(
                $"--sasl-password: a password is not taken on the command line, where the shell history and the process list keep it; set the environment variable {DefaultPasswordVariable} (or name another with --sasl-password-env), or leave it unset to be asked on a terminal.");
        }
        var mechanismName = parse.GetValue(Mechanism);
        var username = parse.GetValue(Username);
        var variable = parse.GetValue(PasswordVariable);
        var serviceName = parse.GetValue(KerberosServiceName);
        if (mechanismName is not null)
        {
            (options.Sasl ??= new SaslConfig()).Mechanism = ParseMechanism(mechanismName);
        }
        if (options.Sasl is not { } sasl)
        {
            if (username is not null || variable is not null || serviceName is not null)
            {
                throw new ArgumentException("--sasl-username, --sasl-password-env and --sasl-kerberos-service-name need --sasl-mechanism (or Kafka:Sasl in --config).");
            }
            return;
        }
        sasl.Username = username ?? sasl.Username;
        sasl.KerberosServiceName = serviceName ?? sasl.KerberosServiceName;
        if (sasl.Mechanism is not { } mechanism)
        {
            return; // the client's validation names Sasl:Mechanism
        }
        var wireName = WireName(mechanism);
        var needsSecret = mechanism switch
        {
            SaslMechanism.Plain or SaslMechanism.ScramSha256 or SaslMechanism.ScramSha512 => true,
            SaslMechanism.OAuthBearer => sasl.OAuthBearerTokenProvider is null,
            _ => !string.IsNullOrEmpty(sasl.Username), // GSSAPI: a password only to log in as a named principal
        };
        if (mechanism is SaslMechanism.Plain or SaslMechanism.ScramSha256 or SaslMechanism.ScramSha512 && string.IsNullOrEmpty(sasl.Username))
        {
            throw new ArgumentException($"--sasl-username: must be set for {wireName}.");
        }
        if (!needsSecret)
        {
            return;
        }
        var secret = ReadSecret(variable, sasl, wireName, console);
        if (mechanism == SaslMechanism.OAuthBearer)
        {
            var token = BearerToken(secret);
            sasl.OAuthBearerTokenProvider = _ => ValueTask.FromResult(token);
        }
        else if (secret is not null)
        {
            sasl.Password = secret;
        }
        if (mechanism == SaslMechanism.Plain && options.Ssl is null)
        {
            console.Error.WriteLine("note: PLAIN sends the password in clear without TLS (--ssl-cafile or Kafka:Ssl).");
        }
    }

    /// <summary>The mechanism's name as Kafka spells it (<c>SCRAM-SHA-256</c>).</summary>
    public static string WireName(SaslMechanism mechanism) => SaslMechanismNames.ToKafkaName(mechanism);

    private static SaslMechanism ParseMechanism(string name) =>
        SaslMechanismNames.TryParse(name, out var mechanism) ? mechanism : throw new ArgumentException($"--sasl-mechanism: {name} is not a mechanism ({MechanismNames}).");

    // The variable wins over a password in the config file; the terminal is asked only when neither has one.
    private static string? ReadSecret(string? variable, SaslConfig sasl, string wireName, ToolConsole console)
    {
        var name = variable ?? DefaultPasswordVariable;
        if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value)
        {
            return value;
        }
        if (variable is not null)
        {
            throw new ArgumentException($"--sasl-password-env: the environment variable {variable} is not set.");
        }
        if (sasl.Mechanism != SaslMechanism.OAuthBearer && !string.IsNullOrEmpty(sasl.Password))
        {
            return null; // keep the config file's
        }
        var what = sasl.Mechanism == SaslMechanism.OAuthBearer ? "token" : "password";
        if (console.ReadSecret is not { } read)
        {
            throw new ArgumentException(
                $"{wireName} needs a {what}: set the environment variable {DefaultPasswordVariable} (or name another with --sasl-password-env), or run kafka-tools on a terminal to be asked for it.");
        }
        console.Error.Write(sasl.Mechanism == SaslMechanism.OAuthBearer ? $"OAUTHBEARER token: " : $"{wireName} password for {sasl.Username}: ");
        var answer = read();
        console.Error.WriteLine();
        return string.IsNullOrEmpty(answer) ? throw new ArgumentException($"{wireName}: no {what} was given.") : answer;
    }

    /// <summary>
    /// A token given as it is: a JWT's <c>exp</c> and <c>sub</c> claims give its expiry and principal; any other token is
    /// taken as valid for an hour (the broker decides).
    /// </summary>
    private static OAuthBearerToken BearerToken(string? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        DateTimeOffset? expiration = null;
        string? principal = null;
        var parts = value.Split('.');
        if (parts.Length == 3 && TryDecodeBase64Url(parts[1]) is { } payload)
        {
            try
            {
                using var claims = JsonDocument.Parse(payload);
                if (claims.RootElement.ValueKind == JsonValueKind.Object)
                {
                    if (claims.RootElement.TryGetProperty("exp", out var exp) && exp.TryGetDouble(out var seconds))
                    {
                        expiration = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
                    }
                    if (claims.RootElement.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String)
                    {
                        principal = sub.GetString();
                    }
                }
            }
            catch (JsonException)
            {
                // Not a JWT after all: the broker judges the token.
            }
        }
        return new OAuthBearerToken(value, expiration ?? DateTimeOffset.UtcNow.AddHours(1), principal);
    }

    private static byte[]? TryDecodeBase64Url(string text)
    {
        try
        {
            return Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
