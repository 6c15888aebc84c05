using System.Globalization;

namespace Kafka.ZooKeeper.Internal;

/// <summary>One server of a connect string.</summary>
internal readonly record struct ServerAddress(string Host, int Port)
{
    public override string ToString() =>
        Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>A parsed connect string: <c>"host1:2181,host2:2182/chroot"</c>.</summary>
internal sealed class ConnectString
{
    public const int DefaultPort = 2181;

    private ConnectString(IReadOnlyList<ServerAddress> servers, string? chroot)
    {
        Servers = servers;
        Chroot = chroot;
    }

    public IReadOnlyList<ServerAddress> Servers { get; }

    /// <summary>The chroot, without a trailing slash; null when there is none (or it is just "/").</summary>
    public string? Chroot { get; }

    public static ConnectString Parse(string value, string paramName)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException("The connect string is empty.", paramName);
        }
        string? chroot = null;
        var hosts = value;
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            chroot = value[slash..];
            hosts = value[..slash];
            if (chroot.Length == 1)
            {
                chroot = null;
            }
            else
            {
                ZooKeeperPath.Validate(chroot, paramName);
            }
        }

        var servers = new List<ServerAddress>();
        foreach (var part in hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            servers.Add(ParseServer(part, value, paramName));
        }
        if (servers.Count == 0)
        {
            throw new ArgumentException($"The connect string '{value}' names no server.", paramName);
        }
        return new ConnectString(servers, chroot);
    }

    private static ServerAddress ParseServer(string part, string whole, string paramName)
    {
        string host;
        string? port = null;
        if (part.StartsWith('['))
        {
            var close = part.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new ArgumentException($"Unclosed '[' in the connect string '{whole}'.", paramName);
            }
            host = part[1..close];
            var rest = part[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                {
                    throw new ArgumentException($"Invalid server '{part}' in the connect string '{whole}'.", paramName);
                }
                port = rest[1..];
            }
        }
        else
        {
            var colon = part.LastIndexOf(':');
            if (colon >= 0 && part.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                throw new ArgumentException($"Write the IPv6 address '{part}' in brackets: [address]:port.", paramName);
            }
            host = colon >= 0 ? part[..colon] : part;
            port = colon >= 0 ? part[(colon + 1)..] : null;
        }

        if (host.Length == 0)
        {
            throw new ArgumentException($"Empty host in the connect string '{whole}'.", paramName);
        }
        var portNumber = DefaultPort;
        if (port is not null
            && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out portNumber) || portNumber is < 1 or > 65535))
        {
            throw new ArgumentException($"Invalid port '{port}' in the connect string '{whole}'.", paramName);
        }
        return new ServerAddress(host, portNumber);
    }
}
