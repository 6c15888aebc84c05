using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Kafka.Testing.Internal;

namespace Kafka.Testing;

/// <summary>
/// A TLS endpoint in front of a plaintext broker: it accepts TLS on a loopback port, terminates it with an
/// <see cref="SslStream"/> (its own server certificate, optionally requiring client certificates) and forwards the
/// plaintext to the target. librdkafka's mock brokers do not speak TLS; <see cref="InFrontOf"/> puts one proxy in
/// front of each broker of a <see cref="MockKafkaCluster"/> and makes the cluster advertise the proxies, so that
/// every connection a client opens, including those to brokers it learns from metadata, is TLS.
/// </summary>
public sealed class TlsProxy : IAsyncDisposable
{
    private readonly LoopbackListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly TlsProxyOptions _options;
    private readonly SslStreamCertificateContext _serverCertificate;
    private readonly ConcurrentQueue<Exception> _handshakeFailures = new();
    private readonly ConcurrentQueue<string> _clientCertificates = new();
    private int _handshakes;

    /// <summary>Starts a proxy on 127.0.0.1 (a free port) that forwards to <paramref name="targetHost"/>:<paramref name="targetPort"/>.</summary>
    /// <param name="targetHost">The plaintext host to forward to.</param>
    /// <param name="targetPort">The plaintext port to forward to.</param>
    /// <param name="options">The server certificate and client-certificate policy.</param>
    public TlsProxy(string targetHost, int targetPort, TlsProxyOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetHost);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.ServerCertificate.HasPrivateKey)
        {
            throw new ArgumentException("The server certificate needs its private key.", nameof(options));
        }
        _targetHost = targetHost;
        _targetPort = targetPort;
        _options = options;
        _serverCertificate = SslStreamCertificateContext.Create(options.ServerCertificate, additionalCertificates: null, offline: true);
        _listener = new LoopbackListener(ServeAsync);
    }

    /// <summary>
    /// Puts a proxy in front of every broker of <paramref name="cluster"/> and makes the cluster's metadata
    /// advertise the proxies (<see cref="MockKafkaCluster.SetBrokerHostPort"/>) instead of the brokers' own ports.
    /// </summary>
    /// <param name="cluster">The cluster; its brokers keep listening in plaintext where they were.</param>
    /// <param name="options">The TLS settings of every proxy.</param>
    /// <param name="advertisedHost">The host the metadata names for each proxy; the server certificate must be for it.</param>
    /// <returns>The proxies by broker id. Dispose them before the cluster.</returns>
    public static IReadOnlyDictionary<int, TlsProxy> InFrontOf(MockKafkaCluster cluster, TlsProxyOptions options, string advertisedHost = "127.0.0.1")
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var proxies = new Dictionary<int, TlsProxy>();
        foreach (var id in cluster.BrokerIds)
        {
            var proxy = new TlsProxy("127.0.0.1", cluster.GetBrokerPort(id), options);
            proxies[id] = proxy;
            cluster.SetBrokerHostPort(id, advertisedHost, proxy.Port);
        }
        return proxies;
    }

    /// <summary>The loopback port the proxy listens on.</summary>
    public int Port => _listener.Port;

    /// <summary>The proxy's address, <c>127.0.0.1:port</c>.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>How many TCP connections have been accepted.</summary>
    public int AcceptedCount => _listener.AcceptedCount;

    /// <summary>How many TLS handshakes completed with the client accepted (and forwarding started).</summary>
    public int HandshakeCount => Volatile.Read(ref _handshakes);

    /// <summary>Why handshakes failed, in order: the client refused the proxy's certificate, sent no TLS, or was refused.</summary>
    public IReadOnlyList<Exception> HandshakeFailures => [.. _handshakeFailures];

    /// <summary>The subjects of the client certificates accepted, in order.</summary>
    public IReadOnlyList<string> ClientCertificateSubjects => [.. _clientCertificates];

    /// <summary>How many forwarded connections are open now.</summary>
    public int OpenCount => _listener.OpenCount;

    /// <summary>Closes every open connection (both sides). New connections are still accepted.</summary>
    public void CutAllConnections() => _listener.CutAll();

    private async Task ServeAsync(TcpClient client, CancellationToken stopping)
    {
        client.NoDelay = true;
        using var upstream = new TcpClient { NoDelay = true };
        using var open = _listener.Track(client, upstream);
        var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
        await using var disposeTls = tls.ConfigureAwait(false);
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            handshake.CancelAfter(_options.HandshakeTimeout);
            try
            {
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = _serverCertificate,
                    EnabledSslProtocols = _options.Protocols,
                    ClientCertificateRequired = _options.RequireClientCertificate || _options.ClientCertificateAuthority is not null,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                    RemoteCertificateValidationCallback = ValidateClient,
                }, handshake.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                _handshakeFailures.Enqueue(ex);
                return;
            }
        }
        Interlocked.Increment(ref _handshakes);
        await upstream.ConnectAsync(_targetHost, _targetPort, stopping).ConfigureAwait(false);
        var up = upstream.GetStream();
        var toBroker = tls.CopyToAsync(up, stopping);
        var toClient = up.CopyToAsync(tls, stopping);
        await Task.WhenAny(toBroker, toClient).ConfigureAwait(false);
    }

    private bool ValidateClient(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return !_options.RequireClientCertificate;
        }
        using var presented = new X509Certificate2(certificate);
        if (_options.ClientCertificateAuthority is { } authority)
        {
            using var check = new X509Chain();
            check.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            check.ChainPolicy.CustomTrustStore.Add(authority);
            check.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            check.ChainPolicy.DisableCertificateDownloads = true;
            if (!check.Build(presented))
            {
                return false;
            }
        }
        _clientCertificates.Enqueue(presented.Subject);
        return true;
    }

    /// <summary>Stops listening and closes every connection.</summary>
    public async ValueTask DisposeAsync() => await _listener.StopAsync().ConfigureAwait(false);
}
