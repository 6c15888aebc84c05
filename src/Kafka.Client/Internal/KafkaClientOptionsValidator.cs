using System.Globalization;

namespace Kafka.Client.Internal;

/// <summary>
/// Checks <see cref="KafkaClientOptions"/> without network I/O (the only I/O is reading the <c>Ssl</c> files) and
/// reports every problem at once, each starting with the option's name (or configuration key, <c>Ssl:KeyFile</c>)
/// so that configuration errors can be traced to their key. No message holds the TLS key's password, a SASL secret or the
/// connection string.
/// </summary>
/// <remarks>
/// One method per group of options, each adding <c>Option: problem</c> lines; a new group of options (a nested
/// settings object such as <c>Ssl</c>) gets a method of its own and reports with its key as prefix.
/// </remarks>
internal static class KafkaClientOptionsValidator
{
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromHours(1);

    public const int MinResponseSize = 64 * 1024;

    public static readonly TimeSpan MinRefreshInterval = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan MaxRefreshInterval = TimeSpan.FromDays(1);

    public static List<string> Validate(KafkaClientOptions options)
    {
        var errors = Validate(options, out var tls);
        tls?.Dispose();
        return errors;
    }

    /// <summary>Validates, and hands over the TLS material it loaded (null when there are errors or no <c>Ssl</c>).</summary>
    public static List<string> Validate(KafkaClientOptions options, out ClientTls? tls)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        ValidateBrokers(options, errors);
        ValidateTimeouts(options, errors);
        ValidateRefresh(options, errors);
        ValidateConnection(options, errors);
        Sasl.SaslValidation.Validate(options, errors);

        // Last, so that the certificate material is only kept when everything else is valid too.
        tls = options.Ssl is null ? null : ClientTls.Load(options.Ssl, errors);
        if (tls is not null && errors.Count > 0)
        {
            tls.Dispose();
            tls = null;
        }
        return errors;
    }

    /// <summary>Where the brokers are: <c>Hosts</c>, or <c>ZooKeeperHosts</c>.</summary>
    private static void ValidateBrokers(KafkaClientOptions options, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(options.ZooKeeperHosts) || !string.IsNullOrWhiteSpace(options.Hosts))
        {
            var hostErrors = new List<string>();
            HostAddress.TryParseList(options.Hosts, HostAddress.DefaultKafkaPort, hostErrors);
            errors.AddRange(hostErrors.Select(e => $"{nameof(options.Hosts)}: {e}"));
        }
        if (!string.IsNullOrWhiteSpace(options.ZooKeeperHosts))
        {
            errors.AddRange(ValidateZooKeeperHosts(options.ZooKeeperHosts).Select(e => $"{nameof(options.ZooKeeperHosts)}: {e}"));
        }
    }

    private static void ValidateTimeouts(KafkaClientOptions options, List<string> errors)
    {
        Timeout(errors, nameof(options.SocketTimeout), options.SocketTimeout);
        Timeout(errors, nameof(options.OffsetsChannelSocketTimeout), options.OffsetsChannelSocketTimeout);
        Timeout(errors, nameof(options.ConnectTimeout), options.ConnectTimeout);
        Timeout(errors, nameof(options.ReconnectBackoff), options.ReconnectBackoff);
        Timeout(errors, nameof(options.ReconnectBackoffMax), options.ReconnectBackoffMax);
        if (options.ReconnectBackoffMax < options.ReconnectBackoff)
        {
            errors.Add($"{nameof(options.ReconnectBackoffMax)}: {options.ReconnectBackoffMax} is shorter than {nameof(options.ReconnectBackoff)} ({options.ReconnectBackoff}).");
        }
    }

    /// <summary>The background metadata refresh.</summary>
    private static void ValidateRefresh(KafkaClientOptions options, List<string> errors)
    {
        var interval = options.MetadataRefreshInterval;
        var intervalValid = interval >= MinRefreshInterval && interval <= MaxRefreshInterval;
        if (!intervalValid)
        {
            errors.Add($"{nameof(options.MetadataRefreshInterval)}: {interval} is outside {MinRefreshInterval} to {MaxRefreshInterval}.");
        }
        // Compared with a valid interval only, so that one bad value is reported once.
        if (options.MinRefreshGap <= TimeSpan.Zero || (intervalValid && options.MinRefreshGap > interval))
        {
            errors.Add($"{nameof(options.MinRefreshGap)}: must be positive and at most {nameof(options.MetadataRefreshInterval)} ({interval}); was {options.MinRefreshGap}.");
        }
    }

    /// <summary>What every connection sends or binds: source address, broker version, client id, response limit.</summary>
    private static void ValidateConnection(KafkaClientOptions options, List<string> errors)
    {
        if (!HostAddress.TryParseSourceAddress(options.SourceAddress, out _, out var sourceError))
        {
            errors.Add($"{nameof(options.SourceAddress)}: {sourceError}");
        }
        if (!VersionPolicy.TryParse(options.BrokerVersion, out _, out var versionError))
        {
            errors.Add($"{nameof(options.BrokerVersion)}: {versionError}");
        }
        if (options.ClientId is null || options.ClientId.Length > short.MaxValue)
        {
            errors.Add($"{nameof(options.ClientId)}: must be set and at most {short.MaxValue} characters.");
        }
        if (options.MaxResponseSize < MinResponseSize)
        {
            errors.Add($"{nameof(options.MaxResponseSize)}: {options.MaxResponseSize.ToString(CultureInfo.InvariantCulture)} is below the minimum of {MinResponseSize.ToString(CultureInfo.InvariantCulture)} bytes.");
        }
    }

    private static void Timeout(List<string> errors, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{name}: must be positive (was {value}).");
        }
        else if (value > MaxTimeout)
        {
            errors.Add($"{name}: {value} is longer than the maximum of {MaxTimeout}.");
        }
    }

    /// <summary><c>host[:port][,host[:port]...][/chroot]</c>; the port defaults to 2181.</summary>
    internal static List<string> ValidateZooKeeperHosts(string value)
    {
        var errors = new List<string>();
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var hosts = slash >= 0 ? value[..slash] : value;
        if (slash >= 0)
        {
            var chroot = value[slash..];
            if (chroot.Length > 1 && (chroot.EndsWith('/') || chroot.Contains("//", StringComparison.Ordinal)))
            {
                errors.Add($"the chroot '{chroot}' is not a valid ZooKeeper path.");
            }
        }
        HostAddress.TryParseList(hosts, 2181, errors);
        return errors;
    }
}
