using Kafka.Testing;

namespace Kafka.Client.Tests.Sasl;

/// <summary>
/// A mock cluster reached only through SASL: a <see cref="SaslProxy"/> in front of each broker, and optionally a
/// <see cref="TlsProxy"/> in front of each SASL proxy (SASL_SSL); the metadata advertises the outermost proxies.
/// </summary>
internal sealed class SaslCluster : IAsyncDisposable
{
    public static readonly IReadOnlyDictionary<string, string> Users = new Dictionary<string, string>
    {
        ["alice"] = "alice-Pa55word",
        ["bob"] = "bob-Pa55word",
        ["carol,=x"] = "carol-Pa55word", // SCRAM escapes ',' and '=' in names
    };

    private SaslCluster(MockKafkaCluster cluster, IReadOnlyDictionary<int, SaslProxy> proxies, IReadOnlyDictionary<int, TlsProxy>? tls)
    {
        Cluster = cluster;
        Proxies = proxies;
        Tls = tls;
    }

    public MockKafkaCluster Cluster { get; }

    public IReadOnlyDictionary<int, SaslProxy> Proxies { get; }

    public IReadOnlyDictionary<int, TlsProxy>? Tls { get; }

    /// <summary>The first broker's outermost proxy, as the seed.</summary>
    public string Bootstrap => Tls is null ? Proxies[Cluster.BrokerIds[0]].Address : Tls[Cluster.BrokerIds[0]].Address;

    public IEnumerable<SaslProxyAuthentication> Authentications => Proxies.Values.SelectMany(p => p.Authentications);

    public IEnumerable<string> Failures => Proxies.Values.SelectMany(p => p.Failures);

    public static SaslProxyOptions Options(string mechanism, SaslServerLibrary library = SaslServerLibrary.Cyrus, TimeSpan? lifetime = null, TimeProvider? time = null) => new()
    {
        Mechanisms = [mechanism],
        Users = Users,
        Library = library,
        SessionLifetime = lifetime,
        TimeProvider = time ?? TimeProvider.System,
    };

    public static SaslCluster Start(SaslProxyOptions options, int brokers = 1, bool tls = false, string advertisedHost = "127.0.0.1")
    {
        var cluster = MockKafkaCluster.Start(brokers);
        var proxies = SaslProxy.InFrontOf(cluster, options, advertisedHost);
        Dictionary<int, TlsProxy>? tlsProxies = null;
        if (tls)
        {
            tlsProxies = [];
            foreach (var (id, proxy) in proxies)
            {
                var front = new TlsProxy("127.0.0.1", proxy.Port, new TlsProxyOptions { ServerCertificate = SaslEnvironment.Certificates.Server.Certificate });
                tlsProxies[id] = front;
                cluster.SetBrokerHostPort(id, advertisedHost, front.Port);
            }
        }
        return new SaslCluster(cluster, proxies, tlsProxies);
    }

    /// <summary>TLS settings that trust the test CA (for a cluster started with <c>tls: true</c>).</summary>
    public static SslConfig TrustingTestCa() => new() { CaFile = SaslEnvironment.Certificates.Authority.CertFile };

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in Tls?.Values ?? [])
        {
            await proxy.DisposeAsync();
        }
        foreach (var proxy in Proxies.Values)
        {
            await proxy.DisposeAsync();
        }
        await Cluster.DisposeAsync();
    }
}
