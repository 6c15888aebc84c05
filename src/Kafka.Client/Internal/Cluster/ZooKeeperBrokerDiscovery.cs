using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kafka.ZooKeeper;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Internal;

/// <summary>
/// Finds brokers through ZooKeeper (pykafka's <c>zookeeper_hosts</c>): reads <c>/brokers/ids</c> and each broker's
/// registration, and picks the endpoint that matches the client's security (PLAINTEXT, or SSL with TLS). The
/// ZooKeeper session is kept while the client lives (the ZooKeeper-based balanced consumer will carry its watches
/// on it) and replaced if it expires.
/// </summary>
internal sealed partial class ZooKeeperBrokerDiscovery : IAsyncDisposable
{
    private const string BrokerIdsPath = "/brokers/ids";

    private readonly string _connectString;
    private readonly bool _useTls;
    private readonly TimeSpan _connectTimeout;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ZooKeeperClient? _client;
    private bool _disposed;

    public ZooKeeperBrokerDiscovery(string connectString, bool useTls, TimeSpan connectTimeout, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        _connectString = connectString.Trim();
        _useTls = useTls;
        _connectTimeout = connectTimeout;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger("Kafka.Client.ZooKeeper");
    }

    /// <summary>The ZooKeeper connection string, as configured.</summary>
    public string ConnectString => _connectString;

    /// <summary>The state of the ZooKeeper session, or <see langword="null"/> before the first read.</summary>
    public ZooKeeperState? State => Volatile.Read(ref _client)?.State;

    /// <summary>The security protocol whose listener the client connects to.</summary>
    public string SecurityProtocol => _useTls ? "SSL" : "PLAINTEXT";

    /// <summary>Reads every broker registration and returns the addresses the client can reach them at.</summary>
    /// <exception cref="KafkaException">ZooKeeper could not be reached or read (names the connection string), or no registration has a usable endpoint.</exception>
    public async Task<IReadOnlyList<HostAddress>> ReadBrokersAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var client = await GetClientAsync().ConfigureAwait(false);
            ChildrenResult ids;
            try
            {
                ids = await client.GetChildrenAsync(BrokerIdsPath, cancellationToken).ConfigureAwait(false);
            }
            catch (NoNodeException ex)
            {
                throw new KafkaException($"ZooKeeper at {_connectString} has no {BrokerIdsPath}: no Kafka broker registered there (check the chroot).", isRetriable: true, ex);
            }

            var result = new List<HostAddress>(ids.Children.Count);
            var skipped = new List<string>();
            foreach (var id in ids.Children)
            {
                DataResult data;
                try
                {
                    data = await client.GetDataAsync($"{BrokerIdsPath}/{id}", cancellationToken).ConfigureAwait(false);
                }
                catch (NoNodeException)
                {
                    continue; // the broker left between the two reads
                }
                if (TryParseRegistration(data.Data.Span, _useTls, out var address, out var error))
                {
                    result.Add(address);
                }
                else
                {
                    Log.RegistrationSkipped(_logger, id, error);
                    skipped.Add($"broker {id}: {error}");
                }
            }
            if (result.Count == 0)
            {
                var why = skipped.Count > 0 ? " " + string.Join("; ", skipped) : " There are no registrations.";
                throw new KafkaException($"ZooKeeper at {_connectString} lists no broker with a {SecurityProtocol} endpoint.{why}", isRetriable: true);
            }
            Log.BrokersRead(_logger, result.Count, _connectString);
            return result;
        }
        catch (ZooKeeperException ex)
        {
            throw new KafkaException($"Could not read the Kafka brokers from ZooKeeper at {_connectString}: {ex.Message}", isRetriable: true, ex);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The live session, or a new one after expiry; connecting is bounded by the client's connect timeout.</summary>
    private async Task<ZooKeeperClient> GetClientAsync()
    {
        if (_client is { State: not (ZooKeeperState.Expired or ZooKeeperState.Closed) } live)
        {
            return live;
        }
        if (_client is not null)
        {
            await _client.DisposeAsync().ConfigureAwait(false);
        }
        var options = new ZooKeeperClientOptions { ConnectString = _connectString, ConnectTimeout = _connectTimeout };
        Volatile.Write(ref _client, new ZooKeeperClient(options, _loggerFactory, _timeProvider));
        return _client;
    }

    [GeneratedRegex(@"^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex EndpointPattern();

    /// <summary>
    /// Reads a <c>/brokers/ids/&lt;id&gt;</c> registration (JSON versions 1 to 5). Version 1 has only <c>host</c>/<c>port</c>;
    /// later versions list <c>endpoints</c> as <c>LISTENER://host:port</c>, whose listener name maps to a security
    /// protocol through <c>listener_security_protocol_map</c> (or is the protocol itself when there is no map).
    /// </summary>
    internal static bool TryParseRegistration(ReadOnlySpan<byte> json, bool useTls, out HostAddress address, out string error)
    {
        address = null!;
        var wanted = useTls ? "SSL" : "PLAINTEXT";
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "the registration is not a JSON object";
                return false;
            }
            if (root.TryGetProperty("endpoints", out var endpoints) && endpoints.ValueKind == JsonValueKind.Array)
            {
                var protocols = new Dictionary<string, string>(StringComparer.Ordinal);
                if (root.TryGetProperty("listener_security_protocol_map", out var map) && map.ValueKind == JsonValueKind.Object)
                {
                    foreach (var entry in map.EnumerateObject())
                    {
                        protocols[entry.Name] = entry.Value.GetString() ?? string.Empty;
                    }
                }
                var seen = new List<string>();
                foreach (var endpoint in endpoints.EnumerateArray())
                {
                    var text = endpoint.GetString() ?? string.Empty;
                    var match = EndpointPattern().Match(text);
                    if (!match.Success)
                    {
                        continue;
                    }
                    var listener = match.Groups[1].Value;
                    var protocol = protocols.GetValueOrDefault(listener, listener);
                    seen.Add($"{listener}={protocol}");
                    if (string.Equals(protocol, wanted, StringComparison.OrdinalIgnoreCase)
                        && int.TryParse(match.Groups[3].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var port)
                        && port is > 0 and <= 65535 && match.Groups[2].Value.Length > 0)
                    {
                        address = new HostAddress(match.Groups[2].Value, port);
                        error = string.Empty;
                        return true;
                    }
                }
                if (seen.Count > 0)
                {
                    error = $"no {wanted} endpoint (it has {string.Join(", ", seen)})";
                    return false;
                }
            }
            // Version 1, or no endpoints: host/port are the PLAINTEXT endpoint (null/-1 when there is none).
            if (!useTls && root.TryGetProperty("host", out var host) && host.ValueKind == JsonValueKind.String
                && root.TryGetProperty("port", out var portElement) && portElement.TryGetInt32(out var plainPort) && plainPort is > 0 and <= 65535)
            {
                address = new HostAddress(host.GetString()!, plainPort);
                error = string.Empty;
                return true;
            }
            error = $"no {wanted} endpoint";
            return false;
        }
        catch (JsonException ex)
        {
            error = $"the registration is not valid JSON ({ex.Message})";
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (_client is not null)
            {
                await _client.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(40, LogLevel.Warning, "Skipped the ZooKeeper registration of broker {BrokerId}: {Reason}")]
        public static partial void RegistrationSkipped(ILogger logger, string brokerId, string reason);

        [LoggerMessage(41, LogLevel.Debug, "Read {Count} broker registrations from ZooKeeper at {ConnectString}")]
        public static partial void BrokersRead(ILogger logger, int count, string connectString);
    }
}
