using Kafka.Client.Internal;

namespace Kafka.Client.Tests;

[TestFixture]
public sealed class OptionsTests
{
    [TestCase("b1:9092", "b1", 9092)]
    [TestCase("  b1:19092 ", "b1", 19092)]
    [TestCase("b1", "b1", 9092)]
    [TestCase("[::1]:9093", "::1", 9093)]
    [TestCase("[::1]", "::1", 9092)]
    [TestCase("10.0.0.1:1", "10.0.0.1", 1)]
    public void Parses_a_host_entry(string entry, string host, int port)
    {
        var parsed = HostAddress.ParseList(entry, "hosts");

        Assert.That(parsed, Is.EqualTo(new[] { new HostAddress(host, port) }));
    }

    [Test]
    public void Parses_a_comma_separated_list_with_whitespace()
    {
        var parsed = HostAddress.ParseList("b1:9092, b2 ,[fe80::1]:9094", "hosts");

        Assert.That(parsed, Is.EqualTo(new[] { new HostAddress("b1", 9092), new HostAddress("b2", 9092), new HostAddress("fe80::1", 9094) }));
    }

    [TestCase("broker:abc", "broker:abc")]
    [TestCase("b1:0", "b1:0")]
    [TestCase(":9092", ":9092")]
    [TestCase("b1:70000", "b1:70000")]
    [TestCase("b1:9092,,b2", "empty entry")]
    [TestCase("[::1:9092", "[::1:9092")]
    [TestCase("[nothost]:9092", "[nothost]:9092")]
    [TestCase("", "empty")]
    public void A_bad_hosts_entry_throws_naming_it(string hosts, string named)
    {
        var error = Assert.Throws<ArgumentException>(() => new KafkaClient(new KafkaClientOptions { Hosts = hosts }));

        Assert.That(error!.Message, Does.Contain(named));
        Assert.That(error.Message, Does.Contain("Hosts"));
    }

    [TestCase("::1", "is an IPv6 address without brackets: write it as [::1]")]
    [TestCase("fe80::1:9092", "is an IPv6 address without brackets")]
    [TestCase("a:b:c", "has more than one ':'")]
    public void An_IPv6_address_needs_brackets_and_is_refused_at_once_without_them(string hosts, string message)
    {
        // Refused when the options are checked, not taken as a host name that fails on first use.
        var errors = KafkaClientOptionsValidator.Validate(new KafkaClientOptions { Hosts = hosts });
        var error = Assert.Throws<ArgumentException>(() => new KafkaClient(new KafkaClientOptions { Hosts = hosts }));

        Assert.That(errors, Has.Count.EqualTo(1));
        Assert.That(errors[0], Does.StartWith($"Hosts: '{hosts}' {message}"));
        Assert.That(error!.Message, Does.Contain(message));
    }

    [TestCase(",,,")]
    [TestCase(" , ")]
    public void A_hosts_list_of_only_separators_is_one_problem(string hosts)
    {
        var errors = KafkaClientOptionsValidator.Validate(new KafkaClientOptions { Hosts = hosts });

        Assert.That(errors, Is.EqualTo(new[] { $"Hosts: The hosts list '{hosts}' names no broker, only separators: give at least one broker as host:port." }));
    }

    [Test]
    public void Several_empty_entries_are_one_problem_beside_the_bad_entries()
    {
        var errors = KafkaClientOptionsValidator.Validate(new KafkaClientOptions { Hosts = "b1:9092,,b2:x,,b3" });

        Assert.That(errors, Is.EqualTo(new[]
        {
            "Hosts: The hosts list 'b1:9092,,b2:x,,b3' has 2 empty entries.",
            "Hosts: 'b2:x' has port 'x', which is not a number.",
        }));
    }

    [Test]
    public void Every_problem_is_listed_with_its_option_name()
    {
        var options = new KafkaClientOptions
        {
            Hosts = "broker:abc",
            SocketTimeout = TimeSpan.Zero,
            OffsetsChannelSocketTimeout = TimeSpan.FromDays(3),
            ConnectTimeout = TimeSpan.FromSeconds(-1),
            BrokerVersion = "banana",
            SourceAddress = "host:notaport",
            MaxResponseSize = 10,
            ZooKeeperHosts = "zk1:2181,zk2:x/chroot",
            MetadataRefreshInterval = TimeSpan.FromDays(2),
            MinRefreshGap = TimeSpan.Zero,
            Ssl = new SslConfig { CaFile = "/no/such/ca.pem" },
        };

        var errors = options.Validate();

        Assert.That(errors, Has.Some.StartsWith("Hosts:").And.Contains("broker:abc"));
        Assert.That(errors, Has.Some.StartsWith("SocketTimeout:"));
        Assert.That(errors, Has.Some.StartsWith("OffsetsChannelSocketTimeout:"));
        Assert.That(errors, Has.Some.StartsWith("ConnectTimeout:"));
        Assert.That(errors, Has.Some.StartsWith("BrokerVersion:").And.Contains("banana"));
        Assert.That(errors, Has.Some.StartsWith("SourceAddress:").And.Contains("notaport"));
        Assert.That(errors, Has.Some.StartsWith("MaxResponseSize:"));
        Assert.That(errors, Has.Some.StartsWith("ZooKeeperHosts:").And.Contains("zk2:x"));
        Assert.That(errors, Has.Some.StartsWith("MetadataRefreshInterval:").And.Contains("outside 00:00:01 to 1.00:00:00"));
        Assert.That(errors, Has.Some.StartsWith("MinRefreshGap:").And.Contains("must be positive"));
        Assert.That(errors, Has.Some.StartsWith("Ssl:CaFile:").And.Contains("/no/such/ca.pem"));
        Assert.That(errors, Has.Count.EqualTo(11));
        var thrown = Assert.Throws<ArgumentException>(() => new KafkaClient(options));
        Assert.That(errors, Is.All.Matches<string>(e => thrown!.Message.Contains(e, StringComparison.Ordinal)), "the constructor reports the same problems");
    }

    [Test]
    public void A_refresh_gap_longer_than_the_interval_is_one_problem()
    {
        var errors = new KafkaClientOptions { MetadataRefreshInterval = TimeSpan.FromSeconds(10), MinRefreshGap = TimeSpan.FromSeconds(11) }.Validate();

        Assert.That(errors, Is.EqualTo(new[] { "MinRefreshGap: must be positive and at most MetadataRefreshInterval (00:00:10); was 00:00:11." }));
    }

    [Test]
    public void Default_options_are_valid_and_match_pykafka_defaults()
    {
        var options = new KafkaClientOptions();

        Assert.That(options.Validate(), Is.Empty);
        Assert.That(options.MetadataRefreshInterval, Is.EqualTo(TimeSpan.FromMinutes(5)));
        Assert.That(options.MinRefreshGap, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(options.Hosts, Is.EqualTo("127.0.0.1:9092"));
        Assert.That(options.SocketTimeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(options.OffsetsChannelSocketTimeout, Is.EqualTo(TimeSpan.FromSeconds(10)));
        Assert.That(options.ExcludeInternalTopics, Is.True);
        Assert.That(options.BrokerVersion, Is.EqualTo("auto"));
        Assert.That(options.ZooKeeperHosts, Is.Null);
    }

    [Test]
    public void Creating_a_client_does_no_io_and_copies_its_options()
    {
        var options = new KafkaClientOptions { Hosts = "127.0.0.1:1" }; // nothing listens there
        var client = new KafkaClient(options);
        options.Hosts = "changed:9092";

        Assert.That(client.Options.Hosts, Is.EqualTo("127.0.0.1:1"));
        Assert.That(client.Brokers, Is.Empty);
        Assert.That(client.Topics.Keys, Is.Empty);
    }
}
