using System.CommandLine;
using Kafka.Client;
using Microsoft.Extensions.Configuration;

namespace Kafka.Tools;

/// <summary>
/// The options every command shares: how to reach the cluster (as the library is configured: hosts or ZooKeeper, TLS,
/// SASL, a broker version, or a JSON/appsettings file with the <c>Kafka</c> section) and how to answer (JSON, confirmations).
/// </summary>
internal sealed class ConnectionOptions
{
    public Option<string?> Host { get; } = new("--host", "-b", "--broker")
    {
        Description = "host:port of the brokers, comma-separated (pykafka's -b/--broker) [default: the config file's Kafka:Hosts, else 127.0.0.1:9092]",
        Recursive = true,
    };

    public Option<string?> ZooKeeper { get; } = new("--zookeeper", "-z")
    {
        Description = "ZooKeeper connect string to find the brokers from, instead of --host",
        Recursive = true,
    };

    public Option<string?> BrokerVersion { get; } = new("--broker_version", "--broker-version")
    {
        Description = "The brokers' Kafka release (0.10.2, 2.8, 3.7...) to cap API versions by [default: auto, asked with ApiVersions]",
        Recursive = true,
    };

    public Option<FileInfo?> Config { get; } = new("--config")
    {
        Description = "A JSON or appsettings file whose Kafka section holds client options (Hosts, Ssl, SocketTimeout...); flags win over it",
        Recursive = true,
    };

    public Option<string?> SslCaFile { get; } = new("--ssl-cafile") { Description = "Use TLS, trusting the CA certificates in this PEM file", Recursive = true };

    public Option<string?> SslCertFile { get; } = new("--ssl-certfile") { Description = "Client certificate (PEM) for mutual TLS", Recursive = true };

    public Option<string?> SslKeyFile { get; } = new("--ssl-keyfile") { Description = "Private key (PEM) of the client certificate", Recursive = true };

    /// <summary>Where an encrypted private key's password is read from unless <c>--ssl-password-env</c> names another variable.</summary>
    public const string DefaultSslPasswordVariable = "KAFKA_SSL_PASSWORD";

    public Option<string?> SslPasswordVariable { get; } = new("--ssl-password-env")
    {
        Description = $"The environment variable holding the password of an encrypted private key [default: {DefaultSslPasswordVariable}]",
        Recursive = true,
    };

    /// <summary>Not offered: recognised only to refuse it without repeating the password it was given.</summary>
    public Option<string?> RefusedSslPassword { get; } = new("--ssl-password") { Hidden = true, Recursive = true };

    public Option<bool> SslNoCheckHostname { get; } = new("--ssl-no-check-hostname")
    {
        Description = "Do not check that broker certificates name the host (certificates are still verified)",
        Recursive = true,
    };

    public SaslFlags Sasl { get; } = new();

    public Option<bool> Json { get; } = new("--json") { Description = "Write machine-readable JSON instead of tables", Recursive = true };

    public void AddTo(Command root)
    {
        foreach (var option in new Option[] { Host, ZooKeeper, BrokerVersion, Config, SslCaFile, SslCertFile, SslKeyFile, SslPasswordVariable, RefusedSslPassword, SslNoCheckHostname }.Concat(Sasl.All).Append(Json))
        {
            root.Options.Add(option);
        }
    }

    /// <summary>
    /// The client options: the config file's Kafka section first, then the flags; a SASL secret from the environment
    /// or, on a terminal, asked for on <paramref name="console"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The config file cannot be read, or a value is invalid or missing.</exception>
    public KafkaClientOptions Build(ParseResult parse, ToolConsole console)
    {
        var options = new KafkaClientOptions { ClientId = "kafka-tools" };
        if (parse.GetValue(Config) is { } file)
        {
            if (!file.Exists)
            {
                throw new ArgumentException($"--config: {file.FullName} does not exist.");
            }
            try
            {
                var configuration = new ConfigurationBuilder().AddJsonFile(file.FullName, optional: false).Build();
                // Kafka's spelling of a mechanism (SCRAM-SHA-256) reads as the enum's, as in a hosted application.
                const string mechanismKey = "Kafka:Sasl:Mechanism";
                if (SaslMechanismNames.TryParse(configuration[mechanismKey], out var mechanism))
                {
                    configuration[mechanismKey] = mechanism.ToString();
                }
                configuration.GetSection("Kafka").Bind(options);
            }
            catch (Exception ex) when (ex is InvalidDataException or FormatException or InvalidOperationException or System.Text.Json.JsonException)
            {
                throw new ArgumentException($"--config: {file.FullName} cannot be read: {ex.Message}", ex);
            }
        }
        if (parse.GetValue(Host) is { } hosts)
        {
            options.Hosts = hosts;
        }
        if (parse.GetValue(ZooKeeper) is { } zookeeper)
        {
            options.ZooKeeperHosts = zookeeper;
        }
        if (parse.GetValue(BrokerVersion) is { } version)
        {
            options.BrokerVersion = version;
        }
        if (parse.GetResult(RefusedSslPassword) is not null)
        {
            throw new ArgumentException(
                $"--ssl-password: a password is not taken on the command line, where the shell history and the process list keep it; set the environment variable {DefaultSslPasswordVariable} (or name another with --ssl-password-env).");
        }
        var caFile = parse.GetValue(SslCaFile);
        if (caFile is not null || parse.GetValue(SslCertFile) is not null || parse.GetValue(SslNoCheckHostname))
        {
            options.Ssl ??= new SslConfig();
            options.Ssl.CaFile = caFile ?? options.Ssl.CaFile;
            options.Ssl.CertFile = parse.GetValue(SslCertFile) ?? options.Ssl.CertFile;
            options.Ssl.KeyFile = parse.GetValue(SslKeyFile) ?? options.Ssl.KeyFile;
            if (parse.GetValue(SslNoCheckHostname))
            {
                options.Ssl.CheckHostname = false;
            }
        }
        ApplySslPassword(parse, options);
        Sasl.Apply(parse, options, console);
        return options;
    }

    // The variable wins over a password in the config file; a variable named with --ssl-password-env must be set.
    private void ApplySslPassword(ParseResult parse, KafkaClientOptions options)
    {
        var variable = parse.GetValue(SslPasswordVariable);
        var value = Environment.GetEnvironmentVariable(variable ?? DefaultSslPasswordVariable);
        if (variable is not null && string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"--ssl-password-env: the environment variable {variable} is not set.");
        }
        if (string.IsNullOrEmpty(value) || options.Ssl?.KeyFile is null)
        {
            if (variable is not null && options.Ssl?.KeyFile is null)
            {
                throw new ArgumentException("--ssl-password-env needs --ssl-keyfile (or Kafka:Ssl:KeyFile in --config).");
            }
            return;
        }
        options.Ssl.Password = value;
    }
}
