namespace Kafka.Client.Internal.Sasl;

/// <summary>
/// An Azure Event Hubs connection string as Kafka settings: Event Hubs' Kafka endpoint is the namespace's host on port
/// 9093, over TLS, with SASL PLAIN as user <c>$ConnectionString</c> and the whole string as the password.
/// </summary>
internal static class EventHubsConnectionString
{
    public const string Key = nameof(KafkaClientOptions.ConnectionString);
    public const string User = "$ConnectionString";
    public const int Port = 9093;

    public static void Validate(string connectionString, KafkaClientOptions options, List<string> errors)
    {
        if (!TryGetHost(connectionString, out _, out var problem))
        {
            errors.Add($"{Key}: {problem}");
        }
        if (options.Sasl is not null)
        {
            errors.Add($"{nameof(KafkaClientOptions.Sasl)}: is set, but {Key} already sets SASL (PLAIN as {User}); set one or the other.");
        }
        if (!string.IsNullOrWhiteSpace(options.ZooKeeperHosts))
        {
            errors.Add($"{nameof(KafkaClientOptions.ZooKeeperHosts)}: is set, but {Key} names the brokers; set one or the other.");
        }
        if (options.Hosts != KafkaClientOptions.DefaultHosts && options.Hosts != string.Empty
            && (!TryGetHost(connectionString, out var host, out _) || !string.Equals(options.Hosts, $"{host}:{Port}", StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add($"{nameof(KafkaClientOptions.Hosts)}: is set to '{options.Hosts}', but {Key} names the brokers; leave Hosts unset.");
        }
    }

    /// <summary>Sets Hosts, TLS (unless set) and SASL from the connection string of validated options.</summary>
    public static void ApplyTo(KafkaClientOptions options)
    {
        if (options.ConnectionString is not { } connectionString || !TryGetHost(connectionString, out var host, out _))
        {
            return;
        }
        options.Hosts = $"{host}:{Port}";
        options.Ssl ??= new SslConfig();
        options.Sasl = new SaslConfig { Mechanism = SaslMechanism.Plain, Username = User, Password = connectionString };
    }

    /// <summary>The namespace host from <c>Endpoint=sb://host/</c>; the problem otherwise (never quoting the key).</summary>
    private static bool TryGetHost(string connectionString, out string host, out string problem)
    {
        host = string.Empty;
        string? endpoint = null;
        bool keyName = false, key = false, signature = false;
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                problem = "is not a connection string of Name=value pairs separated by ';'.";
                return false;
            }
            var name = part[..equals].Trim();
            if (name.Equals("Endpoint", StringComparison.OrdinalIgnoreCase))
            {
                endpoint = part[(equals + 1)..].Trim();
            }
            keyName |= name.Equals("SharedAccessKeyName", StringComparison.OrdinalIgnoreCase);
            key |= name.Equals("SharedAccessKey", StringComparison.OrdinalIgnoreCase);
            signature |= name.Equals("SharedAccessSignature", StringComparison.OrdinalIgnoreCase);
        }
        if (endpoint is null)
        {
            problem = "has no Endpoint (Endpoint=sb://NAMESPACE.servicebus.windows.net/).";
            return false;
        }
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme != "sb" || string.IsNullOrEmpty(uri.Host))
        {
            problem = $"the Endpoint '{endpoint}' is not an sb:// address (Endpoint=sb://NAMESPACE.servicebus.windows.net/).";
            return false;
        }
        if (!signature && !(keyName && key))
        {
            problem = "has no credentials: it needs SharedAccessKeyName and SharedAccessKey (or SharedAccessSignature).";
            return false;
        }
        host = uri.Host;
        problem = string.Empty;
        return true;
    }
}
