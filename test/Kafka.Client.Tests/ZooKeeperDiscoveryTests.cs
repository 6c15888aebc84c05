using System.Diagnostics;
using System.Text;
using Kafka.Client.Internal;
using Kafka.Client.Tests.Tls;
using Kafka.Testing;
using Kafka.ZooKeeper;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests;

/// <summary>
/// Broker discovery through a real ZooKeeper 3.8 server: registrations written the way Kafka brokers write them
/// (JSON versions 1 to 5), pointing at mock brokers. One server serves the fixture; each test has its own chroot.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class ZooKeeperDiscoveryTests
{
    private ZooKeeperServer _zooKeeper = null!;
    private TestCertificates _certificates = null!;

    [OneTimeSetUp]
    public async Task StartZooKeeper()
    {
        _certificates = TestCertificates.Create();
        _zooKeeper = new ZooKeeperServer();
        await _zooKeeper.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopZooKeeper()
    {
        await _zooKeeper.DisposeAsync();
        _certificates.Dispose();
    }

    private static string Chroot() => "/kafka-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>Writes <c>/brokers/ids/&lt;id&gt;</c> under <paramref name="chroot"/> as a broker would (ephemeral in Kafka; persistent here).</summary>
    private async Task RegisterAsync(string chroot, int id, string json, bool update = false)
    {
        await using var zk = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = _zooKeeper.ConnectString });
        var path = $"{chroot}/brokers/ids/{id}";
        if (update)
        {
            await zk.SetDataAsync(path, Encoding.UTF8.GetBytes(json));
            return;
        }
        await zk.EnsurePathAsync($"{chroot}/brokers/ids");
        await zk.CreateAsync(path, Encoding.UTF8.GetBytes(json));
    }

    private static (string Host, int Port) Split(string address)
    {
        var colon = address.LastIndexOf(':');
        return (address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string V1(string address)
    {
        var (host, port) = Split(address);
        return $$"""{"version":1,"host":"{{host}}","port":{{port}},"jmx_port":-1,"timestamp":"1700000000000"}""";
    }

    private static string V2(string address)
    {
        var (host, port) = Split(address);
        return $$"""{"version":2,"host":"{{host}}","port":{{port}},"jmx_port":-1,"timestamp":"1700000000000","endpoints":["PLAINTEXT://{{address}}"]}""";
    }

    private static string V3(string address)
    {
        var (host, port) = Split(address);
        return $$"""{"version":3,"host":"{{host}}","port":{{port}},"jmx_port":-1,"timestamp":"1700000000000","endpoints":["PLAINTEXT://{{address}}"],"rack":"r1"}""";
    }

    /// <summary>v4: named listeners mapped to security protocols; the plaintext one is not called PLAINTEXT.</summary>
    private static string V4(string plaintextAddress, string sslAddress = "127.0.0.1:1") =>
        $$$"""{"version":4,"host":null,"port":-1,"jmx_port":-1,"timestamp":"1700000000000","endpoints":["SECURE://{{{sslAddress}}}","INTERNAL://{{{plaintextAddress}}}"],"listener_security_protocol_map":{"SECURE":"SSL","INTERNAL":"PLAINTEXT"}}""";

    private static string V5(string address) =>
        $$$"""{"features":{"metadata.version":{"min_version":1,"max_version":7}},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://{{{address}}}"],"jmx_port":-1,"port":-1,"host":null,"version":5,"timestamp":"1700000000000"}""";

    private static string SslOnly(string sslAddress) =>
        $$$"""{"version":4,"host":null,"port":-1,"jmx_port":-1,"timestamp":"1700000000000","endpoints":["SSL://{{{sslAddress}}}"],"listener_security_protocol_map":{"SSL":"SSL"}}""";

    [Test]
    public async Task Finds_brokers_and_topics_from_registrations_of_every_version()
    {
        await using var cluster = MockKafkaCluster.Start(5);
        cluster.CreateTopic("discovered", partitions: 3, replicationFactor: 3);
        var chroot = Chroot();
        var writers = new Func<string, string>[] { V1, V2, V3, a => V4(a), V5 };
        for (var i = 0; i < writers.Length; i++)
        {
            var id = cluster.BrokerIds[i];
            await RegisterAsync(chroot, id, writers[i](cluster.GetBrokerAddress(id)));
        }
        for (var i = 0; i < writers.Length; i++)
        {
            // Each version alone is enough to find the cluster.
            Assert.That(ZooKeeperBrokerDiscovery.TryParseRegistration(Encoding.UTF8.GetBytes(writers[i](cluster.GetBrokerAddress(cluster.BrokerIds[i]))), useTls: false, out var address, out var error),
                Is.True, error);
            Assert.That(address.ToString(), Is.EqualTo(cluster.GetBrokerAddress(cluster.BrokerIds[i])));
        }
        await using var client = NewClient("127.0.0.1:1", o => o.ZooKeeperHosts = _zooKeeper.ConnectString + chroot);

        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Brokers.Keys, Is.EquivalentTo(cluster.BrokerIds));
        Assert.That(client.Topics["discovered"].Partitions, Has.Count.EqualTo(3));
    }

    [Test]
    public async Task ZooKeeper_wins_over_hosts()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var chroot = Chroot();
        await RegisterAsync(chroot, 1, V2(cluster.GetBrokerAddress(1)));
        // Hosts names a port nothing listens on: only ZooKeeper can lead to the cluster.
        await using var client = NewClient("127.0.0.1:1", o => o.ZooKeeperHosts = _zooKeeper.ConnectString + chroot);

        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Brokers.Keys, Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public async Task A_changed_registration_is_followed_when_the_known_brokers_stop_answering()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var chroot = Chroot();
        var first = new TcpProxy("127.0.0.1", cluster.GetBrokerPort(1));
        cluster.SetBrokerHostPort(1, "127.0.0.1", first.Port);
        await RegisterAsync(chroot, 1, V2(first.Address));
        await using var client = NewClient("127.0.0.1:1", o => o.ZooKeeperHosts = _zooKeeper.ConnectString + chroot);
        await client.UpdateClusterAsync(Timeout());
        Assert.That(client.Brokers[1].Port, Is.EqualTo(first.Port));

        // The broker moves: its old address dies, and it re-registers (and advertises) the new one.
        await first.DisposeAsync();
        await using var second = new TcpProxy("127.0.0.1", cluster.GetBrokerPort(1));
        cluster.SetBrokerHostPort(1, "127.0.0.1", second.Port);
        await RegisterAsync(chroot, 1, V2(second.Address), update: true);
        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Brokers[1].Port, Is.EqualTo(second.Port));
        Assert.That(second.AcceptedCount, Is.GreaterThan(0));
    }

    [Test]
    public async Task With_TLS_the_SSL_endpoint_is_used_and_without_it_a_TLS_only_broker_is_named_as_unusable()
    {
        var certificates = _certificates;
        await using var tls = TlsCluster.Start(new TlsProxyOptions { ServerCertificate = certificates.Server.Certificate });
        var chroot = Chroot();
        var brokerId = tls.Cluster.BrokerIds[0];
        await RegisterAsync(chroot, brokerId, SslOnly(tls.Proxies[brokerId].Address));

        await using (var secure = NewClient("127.0.0.1:1", o =>
        {
            o.ZooKeeperHosts = _zooKeeper.ConnectString + chroot;
            o.Ssl = new SslConfig { CaFile = certificates.Authority.CertFile };
        }))
        {
            await secure.UpdateClusterAsync(Timeout());
            Assert.That(secure.Brokers.Keys, Is.EqualTo(new[] { brokerId }));
        }

        await using var plain = NewClient("127.0.0.1:1", o => o.ZooKeeperHosts = _zooKeeper.ConnectString + chroot);
        var error = Assert.ThrowsAsync<NoBrokersAvailableException>(() => plain.UpdateClusterAsync(Timeout()));
        Assert.That(error!.Message, Does.Contain("PLAINTEXT").And.Contain("SSL=SSL"));
    }

    [Test]
    public async Task ZooKeeper_down_at_start_gives_a_prompt_error_naming_the_ZooKeeper_hosts()
    {
        // A port that was just free: nothing listens there.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var deadPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var zooKeeperHosts = $"127.0.0.1:{deadPort}/kafka";
        await using var client = NewClient("127.0.0.1:1", o =>
        {
            o.ZooKeeperHosts = zooKeeperHosts;
            o.ConnectTimeout = TimeSpan.FromSeconds(2);
        });

        var watch = Stopwatch.StartNew();
        var error = Assert.ThrowsAsync<NoBrokersAvailableException>(() => client.UpdateClusterAsync(Timeout()));

        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(8)));
        Assert.That(error!.Message, Does.Contain(zooKeeperHosts));
        Assert.That(error.Attempts.Single().Key, Does.Contain("ZooKeeper"));
    }

    [Test]
    public async Task No_registrations_is_a_clear_error()
    {
        var chroot = Chroot();
        await using (var zk = new ZooKeeperClient(new ZooKeeperClientOptions { ConnectString = _zooKeeper.ConnectString }))
        {
            await zk.EnsurePathAsync($"{chroot}/brokers/ids");
        }
        await using var client = NewClient("127.0.0.1:1", o => o.ZooKeeperHosts = _zooKeeper.ConnectString + chroot);

        var error = Assert.ThrowsAsync<NoBrokersAvailableException>(() => client.UpdateClusterAsync(Timeout()));

        Assert.That(error!.Message, Does.Contain("no broker").And.Contain("no registrations").IgnoreCase);
    }

    [Test]
    public async Task The_ZooKeeper_session_lives_with_the_client_and_ends_with_it()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var chroot = Chroot();
        await RegisterAsync(chroot, 1, V5(cluster.GetBrokerAddress(1)));
        var client = NewClient("127.0.0.1:1", o => o.ZooKeeperHosts = _zooKeeper.ConnectString + chroot);

        await client.UpdateClusterAsync(Timeout());
        Assert.That(client.Cluster.ZooKeeper!.State, Is.EqualTo(ZooKeeperState.Connected));

        await client.DisposeAsync();
        Assert.That(client.Cluster.ZooKeeper!.State, Is.EqualTo(ZooKeeperState.Closed));
    }

    [TestCase("""{"version":1,"host":"h","port":0}""", false, "no PLAINTEXT endpoint")]
    [TestCase("""{"version":2,"endpoints":["SSL://h:9093"],"host":null,"port":-1}""", false, "SSL=SSL")]
    [TestCase("""{"version":2,"endpoints":["PLAINTEXT://h:9092"],"host":"h","port":9092}""", true, "PLAINTEXT=PLAINTEXT")]
    [TestCase("""not json""", false, "not valid JSON")]
    [TestCase("""[1,2]""", false, "not a JSON object")]
    public void A_registration_without_a_usable_endpoint_says_why(string json, bool useTls, string reason)
    {
        var ok = ZooKeeperBrokerDiscovery.TryParseRegistration(Encoding.UTF8.GetBytes(json), useTls, out _, out var error);

        Assert.That(ok, Is.False);
        Assert.That(error, Does.Contain(reason));
    }

    [Test]
    public void An_IPv6_endpoint_is_parsed()
    {
        var json = """{"version":4,"endpoints":["PLAINTEXT://[::1]:9092"],"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"}}""";

        Assert.That(ZooKeeperBrokerDiscovery.TryParseRegistration(Encoding.UTF8.GetBytes(json), false, out var address, out _), Is.True);
        Assert.That(address, Is.EqualTo(new HostAddress("::1", 9092)));
    }
}
