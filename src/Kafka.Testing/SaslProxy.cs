using System.Collections.Concurrent;
using System.Net.Sockets;
using Kafka.Testing.Internal;
using Kafka.Testing.Internal.Sasl;

namespace Kafka.Testing;

/// <summary>
/// A SASL listener in front of a broker that has none. librdkafka's mock brokers do not serve SaslHandshake or
/// SaslAuthenticate; the proxy does, as a Kafka broker's SASL listener would: it answers ApiVersions with the broker's
/// list plus SaslHandshake v0–v1 and SaslAuthenticate v0–v2, runs the SASL exchange, then relays the connection to the
/// broker. The server side of each mechanism is not this project's: Cyrus SASL or GNU SASL (Debian's libraries) for
/// PLAIN, SCRAM and GSSAPI; OAUTHBEARER is checked as Kafka's unsecured validator does. With
/// <see cref="SaslProxyOptions.SessionLifetime"/> it requires re-authentication (KIP-368) and closes connections
/// that miss it. <see cref="InFrontOf"/> puts one in front of each broker of a <see cref="MockKafkaCluster"/>.
/// </summary>
/// <example>
/// <code>
/// await using var cluster = MockKafkaCluster.Start(brokerCount: 3);
/// var proxies = SaslProxy.InFrontOf(cluster, new SaslProxyOptions
/// {
///     Mechanisms = ["SCRAM-SHA-512"],
///     Users = new Dictionary&lt;string, string&gt; { ["alice"] = "alice-secret" },
/// });
/// // Clients connect to proxies[1].Address with SASL; dispose the proxies before the cluster.
/// </code>
/// </example>
public sealed class SaslProxy : IAsyncDisposable
{
    private static readonly string[] CyrusMechanisms = ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-224", "SCRAM-SHA-256", "SCRAM-SHA-384", "SCRAM-SHA-512", "GSSAPI"];
    private static readonly string[] GnuMechanisms = ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"];

    private readonly LoopbackListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly ISaslServerFactory? _library;
    private readonly OAuthBearerUnsecuredServer _oauth;
    private readonly ConcurrentQueue<SaslProxyAuthentication> _authentications = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly ConcurrentDictionary<int, SaslProxyConnection> _connections = new();
    private int _nextConnectionId;
    private int _expiredSessionsClosed;

    /// <summary>Starts a proxy on 127.0.0.1 (a free port) that forwards authenticated connections to the target.</summary>
    /// <param name="targetHost">The broker's host.</param>
    /// <param name="targetPort">The broker's port.</param>
    /// <param name="options">The mechanisms, users and session policy.</param>
    /// <exception cref="ArgumentException">A mechanism the chosen library does not have, or no mechanism.</exception>
    /// <exception cref="InvalidOperationException">The SASL library is not installed (run build/setup.sh).</exception>
    public SaslProxy(string targetHost, int targetPort, SaslProxyOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetHost);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Mechanisms is null || options.Mechanisms.Count == 0)
        {
            throw new ArgumentException("Enable at least one mechanism.", nameof(options));
        }
        var supported = options.Library == SaslServerLibrary.Cyrus ? CyrusMechanisms : GnuMechanisms;
        var unknown = options.Mechanisms.Where(m => m != "OAUTHBEARER" && !supported.Contains(m)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException(
                $"{options.Library} SASL does not serve {string.Join(", ", unknown)}; it serves {string.Join(", ", supported)} (and the proxy itself OAUTHBEARER).", nameof(options));
        }
        if (options.MaxSaslAuthenticateVersion is < 0 or > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxSaslAuthenticateVersion, "SaslAuthenticate has versions 0 to 2.");
        }
        if (options.SessionLifetime is { } lifetime && lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), lifetime, "A session lifetime must be positive.");
        }
        Options = options;
        _targetHost = targetHost;
        _targetPort = targetPort;
        _oauth = new OAuthBearerUnsecuredServer(new OAuthBearerValidation(options.OAuthBearerPrincipalClaim, options.OAuthBearerScopeClaim,
            options.OAuthBearerRequiredScopes, options.OAuthBearerAllowableClockSkew, options.TimeProvider));
        var libraryMechanisms = options.Mechanisms.Where(m => m != "OAUTHBEARER").ToList();
        if (libraryMechanisms.Count > 0)
        {
            _library = options.Library == SaslServerLibrary.Cyrus
                ? new CyrusSaslServer(libraryMechanisms, options.Users, options.KerberosServiceName, options.KerberosHostName)
                : new GnuSaslServer(options.Users, options.KerberosServiceName, options.KerberosHostName);
        }
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary>
    /// Puts a proxy in front of every broker of <paramref name="cluster"/> and makes the cluster's metadata advertise the
    /// proxies (<see cref="MockKafkaCluster.SetBrokerHostPort"/>), so that every connection a client opens, including
    /// those to brokers it learns from metadata, authenticates.
    /// </summary>
    /// <param name="cluster">The cluster; its brokers keep listening in plaintext where they were.</param>
    /// <param name="options">The SASL settings of every proxy.</param>
    /// <param name="advertisedHost">The host the metadata names for each proxy (for GSSAPI, the Kerberos host name).</param>
    /// <returns>The proxies by broker id. Dispose them before the cluster.</returns>
    public static IReadOnlyDictionary<int, SaslProxy> InFrontOf(MockKafkaCluster cluster, SaslProxyOptions options, string advertisedHost = "127.0.0.1")
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var proxies = new Dictionary<int, SaslProxy>();
        foreach (var id in cluster.BrokerIds)
        {
            var proxy = new SaslProxy("127.0.0.1", cluster.GetBrokerPort(id), options);
            proxies[id] = proxy;
            cluster.SetBrokerHostPort(id, advertisedHost, proxy.Port);
        }
        return proxies;
    }

    /// <summary>The options the proxy runs with.</summary>
    public SaslProxyOptions Options { get; }

    /// <summary>The loopback port the proxy listens on.</summary>
    public int Port => _listener.Port;

    /// <summary>The proxy's address, <c>127.0.0.1:port</c>.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>How many TCP connections have been accepted.</summary>
    public int AcceptedCount => _listener.AcceptedCount;

    /// <summary>How many connections are open now.</summary>
    public int OpenCount => _listener.OpenCount;

    /// <summary>Every successful authentication and re-authentication, in order.</summary>
    public IReadOnlyList<SaslProxyAuthentication> Authentications => [.. _authentications];

    /// <summary>How many connections authenticated (first authentications only).</summary>
    public int AuthenticationCount => _authentications.Count(a => !a.IsReauthentication);

    /// <summary>How many re-authentications succeeded.</summary>
    public int ReauthenticationCount => _authentications.Count(a => a.IsReauthentication);

    /// <summary>
    /// Why connections were refused or closed, in order: failed exchanges (with the SASL library's own reason, which the
    /// client is not told), mechanisms not enabled, requests out of place, expired sessions.
    /// </summary>
    public IReadOnlyList<string> Failures => [.. _failures];

    /// <summary>How many connections were closed because they sent a request after their session expired.</summary>
    public int ExpiredSessionsClosed => Volatile.Read(ref _expiredSessionsClosed);

    /// <summary>
    /// When the first of the open connections' sessions ends; null when none is authenticated with an expiring session.
    /// A test driving a fake clock advances it no further than this until the clients have re-authenticated.
    /// </summary>
    public DateTimeOffset? EarliestSessionExpiry =>
        _connections.Values.Select(c => c.SessionExpiry).Where(e => e is not null).Min();

    /// <summary>Closes every open connection (both sides). New connections are still accepted.</summary>
    public void CutAllConnections() => _listener.CutAll();

    /// <summary>Stops listening, closes every connection and frees the SASL library's state.</summary>
    public async ValueTask DisposeAsync()
    {
        await _listener.StopAsync().ConfigureAwait(false);
        _library?.Dispose();
        _oauth.Dispose();
    }

    internal ISaslServerSession StartSession(string mechanism) =>
        mechanism == "OAUTHBEARER" ? _oauth.Start(mechanism) : _library!.Start(mechanism);

    internal void RecordAuthentication(SaslProxyAuthentication authentication) => _authentications.Enqueue(authentication);

    internal void RecordFailure(int connectionId, string reason) => _failures.Enqueue($"connection {connectionId}: {reason}");

    internal void RecordExpiredSession(int connectionId, string reason)
    {
        Interlocked.Increment(ref _expiredSessionsClosed);
        RecordFailure(connectionId, reason);
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stopping)
    {
        client.NoDelay = true;
        using var upstream = new TcpClient { NoDelay = true };
        using var open = _listener.Track(client, upstream);
        await upstream.ConnectAsync(_targetHost, _targetPort, stopping).ConfigureAwait(false);
        var id = Interlocked.Increment(ref _nextConnectionId);
        var connection = new SaslProxyConnection(this, id, client.GetStream(), upstream.GetStream());
        _connections[id] = connection;
        try
        {
            await connection.RunAsync(stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentOutOfRangeException or IndexOutOfRangeException or EndOfStreamException)
        {
            RecordFailure(id, $"malformed request: {ex.Message}; connection closed");
        }
        finally
        {
            _connections.TryRemove(id, out _);
        }
    }
}
