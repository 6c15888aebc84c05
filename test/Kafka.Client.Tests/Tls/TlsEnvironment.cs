using Kafka.Testing;

namespace Kafka.Client.Tests.Tls;

/// <summary>
/// Certificates made once for all TLS tests (read-only, shared), and a mock cluster whose brokers are reached only
/// through TLS proxies.
/// </summary>
[SetUpFixture]
public sealed class TlsEnvironment
{
    private static TestCertificates? _certificates;

    public static TestCertificates Certificates => _certificates ?? throw new InvalidOperationException("The TLS set-up fixture has not run.");

    [OneTimeSetUp]
    public void CreateCertificates() => _certificates = TestCertificates.Create();

    [OneTimeTearDown]
    public void DeleteCertificates() => _certificates?.Dispose();
}

/// <summary>A mock cluster with a TLS proxy in front of each broker; the metadata advertises the proxies.</summary>
internal sealed class TlsCluster : IAsyncDisposable
{
    private TlsCluster(MockKafkaCluster cluster, IReadOnlyDictionary<int, TlsProxy> proxies)
    {
        Cluster = cluster;
        Proxies = proxies;
    }

    public MockKafkaCluster Cluster { get; }

    public IReadOnlyDictionary<int, TlsProxy> Proxies { get; }

    /// <summary>The first broker's proxy, as the seed.</summary>
    public string Bootstrap => Proxies[Cluster.BrokerIds[0]].Address;

    public static TlsCluster Start(TlsProxyOptions options, int brokers = 1)
    {
        var cluster = MockKafkaCluster.Start(brokers);
        return new TlsCluster(cluster, TlsProxy.InFrontOf(cluster, options));
    }

    /// <summary>Each broker behind a proxy of its own options (a different certificate per broker).</summary>
    public static TlsCluster Start(params TlsProxyOptions[] perBroker)
    {
        var cluster = MockKafkaCluster.Start(perBroker.Length);
        var proxies = new Dictionary<int, TlsProxy>();
        for (var i = 0; i < perBroker.Length; i++)
        {
            var id = cluster.BrokerIds[i];
            var proxy = new TlsProxy("127.0.0.1", cluster.GetBrokerPort(id), perBroker[i]);
            proxies[id] = proxy;
            cluster.SetBrokerHostPort(id, "127.0.0.1", proxy.Port);
        }
        return new TlsCluster(cluster, proxies);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in Proxies.Values)
        {
            await proxy.DisposeAsync();
        }
        await Cluster.DisposeAsync();
    }
}
