using System.Globalization;
using System.Net;

namespace Kafka.Client.Internal;

/// <summary>A <c>host:port</c> pair from a hosts list or a broker registration.</summary>
internal sealed record HostAddress(string Host, int Port)
{
    public const int DefaultKafkaPort = 9092;

    public override string ToString() =>
        Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}" : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Parses a comma-separated hosts list (<c>b1:9092, b2, [::1]:9093</c>). Throws <see cref="ArgumentException"/>
    /// naming the first bad entry.
    /// </summary>
    public static IReadOnlyList<HostAddress> ParseList(string? hosts, string parameterName, int defaultPort = DefaultKafkaPort)
    {
        var errors = new List<string>();
        var result = TryParseList(hosts, defaultPort, errors);
        return errors.Count == 0 ? result : throw new ArgumentException(errors[0], parameterName);
    }

    /// <summary>Parses a hosts list, adding one message per bad entry to <paramref name="errors"/>.</summary>
    public static List<HostAddress> TryParseList(string? hosts, int defaultPort, List<string> errors)
    {
        var result = new List<HostAddress>();
        if (string.IsNullOrWhiteSpace(hosts))
        {
            errors.Add("The hosts list is empty: give at least one broker as host:port.");
            return result;
        }
        var entries = hosts.Split(',', StringSplitOptions.TrimEntries);
        var empty = entries.Count(e => e.Length == 0);
        if (empty == entries.Length)
        {
            errors.Add($"The hosts list '{hosts}' names no broker, only separators: give at least one broker as host:port.");
            return result;
        }
        if (empty > 0)
        {
            // One message for all of them: the list is what is wrong, not each gap.
            errors.Add(empty == 1 ? $"The hosts list '{hosts}' has an empty entry." : $"The hosts list '{hosts}' has {empty} empty entries.");
        }
        foreach (var raw in entries)
        {
            if (raw.Length == 0)
            {
                continue;
            }
            if (TryParse(raw, defaultPort, allowPortZero: false, out var address, out var error))
            {
                result.Add(address);
            }
            else
            {
                errors.Add(error);
            }
        }
        return result;
    }

    /// <summary>
    /// Parses one <c>host[:port]</c> entry. An IPv6 literal goes in brackets, with or without a port after them
    /// (<c>[::1]:9092</c>, <c>[::1]</c>), as in URIs: without brackets <c>fe80::1:9092</c> could be an address with
    /// a port or an address alone, so an entry with more than one colon outside brackets is refused.
    /// </summary>
    public static bool TryParse(string entry, int defaultPort, bool allowPortZero, out HostAddress address, out string error)
    {
        address = null!;
        var text = entry.Trim();
        string host;
        string? portText = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"'{entry}' opens an IPv6 bracket but does not close it.";
                return false;
            }
            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    error = $"'{entry}' has '{rest}' after the IPv6 address; expected ':port'.";
                    return false;
                }
                portText = rest[1..];
            }
            if (!IPAddress.TryParse(host, out _))
            {
                error = $"'{entry}' has '{host}' in brackets, which is not an IPv6 address.";
                return false;
            }
        }
        else
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && text.LastIndexOf(':') != colon)
            {
                error = IPAddress.TryParse(text, out _)
                    ? $"'{entry}' is an IPv6 address without brackets: write it as [{text}], or [{text}]:port with a port."
                    : $"'{entry}' has more than one ':'; expected host:port, with an IPv6 address in brackets ([::1]:9092).";
                return false;
            }
            if (colon >= 0)
            {
                host = text[..colon];
                portText = text[(colon + 1)..];
            }
            else
            {
                host = text;
            }
        }

        if (host.Length == 0)
        {
            error = $"'{entry}' has no host name.";
            return false;
        }
        if (host.Any(char.IsWhiteSpace))
        {
            error = $"'{entry}' has white space inside the host name.";
            return false;
        }

        var port = defaultPort;
        if (portText is not null)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port))
            {
                error = $"'{entry}' has port '{portText}', which is not a number.";
                return false;
            }
            if (port > 65535 || (port == 0 && !allowPortZero))
            {
                error = $"'{entry}' has port {port}, outside {(allowPortZero ? 0 : 1)}-65535.";
                return false;
            }
        }
        address = new HostAddress(host, port);
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// Parses <see cref="KafkaClientOptions.SourceAddress"/>: <c>host</c> or <c>host:port</c>, where host must be
    /// an IP address of this machine or a name that resolves to one; port 0 (or none) lets the system choose.
    /// </summary>
    public static bool TryParseSourceAddress(string? value, out HostAddress? address, out string error)
    {
        address = null;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }
        if (!TryParse(value, 0, allowPortZero: true, out var parsed, out error))
        {
            error = $"SourceAddress {error}";
            return false;
        }
        address = parsed;
        return true;
    }
}
