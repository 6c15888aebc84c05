using Kafka.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static Kafka.Hosting.Tests.Support.TestHosts;

namespace Kafka.Hosting.Tests;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class ValidationTests
{
    [TestCase("Hosts", "broker:abc", "'broker:abc' has port 'abc'")]
    [TestCase("Hosts", "b1:0", "'b1:0' has port 0")]
    [TestCase("Hosts", ":9092", "':9092' has no host name")]
    [TestCase("Hosts", "", "empty")]
    [TestCase("ZooKeeperHosts", "zk1:2181,zk2:x/chroot", "zk2:x")]
    [TestCase("SocketTimeout", "00:00:00", "must be positive")]
    [TestCase("ConnectTimeout", "-00:00:01", "must be positive")]
    [TestCase("OffsetsChannelSocketTimeout", "3.00:00:00", "longer than the maximum")]
    [TestCase("BrokerVersion", "banana", "banana")]
    [TestCase("SourceAddress", "host:notaport", "notaport")]
    [TestCase("MaxResponseSize", "10", "below the minimum")]
    [TestCase("MetadataRefreshInterval", "00:00:00.500", "outside 00:00:01")]
    [TestCase("MinRefreshGap", "00:00:00", "must be positive")]
    [TestCase("WaitForClusterTimeout", "00:00:00", "must be positive")]
    [TestCase("Resilience:MaxRetryAttempts", "-1", "outside 0 to 100")]
    [TestCase("Resilience:BaseDelay", "00:00:00", "must be positive")]
    [TestCase("Resilience:AttemptTimeout", "00:00:00.001", "outside")]
    [TestCase("Ssl:CaFile", "/no/such/ca.pem", "/no/such/ca.pem")]
    [TestCase("Ssl:KeyFile", "/no/such/client.key", "Ssl:CertFile")]
    public async Task A_bad_value_fails_start_naming_its_configuration_key(string key, string value, string expected)
    {
        await using var proxy = new TcpProxy("127.0.0.1", 1);
        var settings = new Dictionary<string, string?> { ["Kafka:Hosts"] = proxy.Address, ["Kafka:" + key] = value };
        using var host = Build(settings, s => s.AddKafkaClient());

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.Failures, Has.Some.StartsWith($"Kafka:{key}:").And.Contains(expected), string.Join(Environment.NewLine, error.Failures));
        Assert.That(proxy.AcceptedCount, Is.Zero, "no network I/O before the host starts");
    }

    [Test]
    public void Every_problem_is_listed_in_one_exception_with_its_key()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kafka:Clients:orders:Hosts"] = "broker:abc,:9092",
            ["Kafka:Clients:orders:SocketTimeout"] = "00:00:00",
            ["Kafka:Clients:orders:BrokerVersion"] = "banana",
            ["Kafka:Clients:orders:MetadataRefreshInterval"] = "00:00:00.100",
            ["Kafka:Clients:orders:Resilience:MaxDelay"] = "00:00:00.001",
        };
        using var host = Build(settings, s => s.AddKafkaClient("orders"));

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.That(error!.OptionsName, Is.EqualTo("orders"));
        Assert.That(error.Failures, Has.Count.EqualTo(6), string.Join(Environment.NewLine, error.Failures));
        Assert.That(error.Failures.Count(f => f.StartsWith("Kafka:Clients:orders:Hosts: ", StringComparison.Ordinal)), Is.EqualTo(2));
        Assert.That(error.Failures, Has.Some.StartsWith("Kafka:Clients:orders:SocketTimeout: "));
        Assert.That(error.Failures, Has.Some.StartsWith("Kafka:Clients:orders:BrokerVersion: "));
        Assert.That(error.Failures, Has.Some.StartsWith("Kafka:Clients:orders:MetadataRefreshInterval: "));
        Assert.That(error.Failures, Has.Some.StartsWith("Kafka:Clients:orders:Resilience:MaxDelay: "));
        Assert.That(error.Message, Does.Contain("'broker:abc' has port 'abc'"));
    }

    [Test]
    public async Task Valid_defaults_start()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        using var host = Build(FastSettings(cluster.BootstrapServers), s => s.AddKafkaClient());

        await host.StartAsync();
        await host.StopAsync();
    }
}
