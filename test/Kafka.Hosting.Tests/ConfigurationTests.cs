using System.Reflection;
using Kafka.Client;
using Kafka.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static Kafka.Hosting.Tests.Support.TestHosts;

namespace Kafka.Hosting.Tests;

[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class ConfigurationTests
{
    /// <summary>A non-default value for every option, as configuration strings (keys relative to the section).</summary>
    private static readonly Dictionary<string, string> EveryOption = new()
    {
        ["Hosts"] = "b1:19092,b2:19093",
        ["ZooKeeperHosts"] = "zk1:2181,zk2:2182/kafka",
        ["SocketTimeout"] = "00:00:21",
        ["OffsetsChannelSocketTimeout"] = "00:00:11",
        ["ConnectTimeout"] = "00:00:07",
        ["ExcludeInternalTopics"] = "false",
        ["TraceRequests"] = "true",
        ["SourceAddress"] = "127.0.0.1:0",
        ["BrokerVersion"] = "2.8",
        ["ClientId"] = "bound-client",
        ["ReconnectBackoff"] = "00:00:00.075",
        ["ReconnectBackoffMax"] = "00:00:02",
        ["MaxResponseSize"] = "1048576",
        ["MetadataRefreshInterval"] = "00:01:30",
        ["MinRefreshGap"] = "00:00:03",
        ["WaitForClusterOnStart"] = "true",
        ["WaitForClusterTimeout"] = "00:00:45",
        ["Resilience:MaxRetryAttempts"] = "5",
        ["Resilience:BaseDelay"] = "00:00:00.250",
        ["Resilience:MaxDelay"] = "00:00:04",
        ["Resilience:AttemptTimeout"] = "00:00:12",
        // Ssl:CaFile, CertFile, KeyFile and Password are added once the test certificates exist (validation reads the files).
        ["Ssl:CheckHostname"] = "false",
        ["Sasl:Mechanism"] = "ScramSha512",
        ["Sasl:Username"] = "bound-user",
        ["Sasl:Password"] = "not-a-real-secret",
        ["Sasl:KerberosServiceName"] = "kafka-bound",
    };

    private static TestCertificates? _certificates;

    [OneTimeSetUp]
    public void CreateCertificates()
    {
        _certificates = TestCertificates.Create(password: "not-a-real-secret");
        EveryOption["Ssl:CaFile"] = _certificates.Authority.CertFile;
        EveryOption["Ssl:CertFile"] = _certificates.Client.CertFile;
        EveryOption["Ssl:KeyFile"] = _certificates.Client.EncryptedKeyFile;
        EveryOption["Ssl:Password"] = "not-a-real-secret";
    }

    [OneTimeTearDown]
    public void DeleteCertificates() => _certificates?.Dispose();

    [Test]
    public void Every_option_binds_from_the_section()
    {
        var settings = EveryOption.ToDictionary(e => "Kafka:" + e.Key, e => (string?)e.Value);
        using var host = Build(settings, s => s.AddKafkaClient());

        AssertEveryOption(host.Services, Options.DefaultName);
    }

    [Test]
    public void Every_public_option_is_covered_by_the_binding_test()
    {
        var keys = OptionKeys(typeof(KafkaClientOptions), "").Concat(OptionKeys(typeof(KafkaHostingOptions), "")).ToList();

        // ConnectionString stands for Hosts, Ssl and Sasl and cannot be set with them: SaslHostingTests binds it.
        Assert.That(keys.Except(EveryOption.Keys).Except(["ConnectionString"]), Is.Empty, "add a value for each new option to EveryOption and AssertEveryOption");
    }

    [Test]
    public void A_named_client_binds_from_its_own_section_only()
    {
        var settings = EveryOption.ToDictionary(e => "Kafka:Clients:orders:" + e.Key, e => (string?)e.Value);
        settings["Kafka:Hosts"] = "default-only:9092";
        using var host = Build(settings, s =>
        {
            s.AddKafkaClient();
            s.AddKafkaClient("orders");
        });

        AssertEveryOption(host.Services, "orders");
        Assert.That(host.Services.GetRequiredService<IOptionsMonitor<KafkaClientOptions>>().Get(Options.DefaultName).Hosts, Is.EqualTo("default-only:9092"));
        Assert.That(KafkaHostingOptions.GetConfigurationSection("orders"), Is.EqualTo("Kafka:Clients:orders"));
    }

    [Test]
    public void Environment_variables_and_the_command_line_bind()
    {
        var prefix = $"KHT{Guid.NewGuid():N}_";
        Environment.SetEnvironmentVariable(prefix + "Kafka__Hosts", "from-env:9092");
        Environment.SetEnvironmentVariable(prefix + "Kafka__Resilience__BaseDelay", "00:00:00.300");
        try
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddEnvironmentVariables(prefix);
            builder.Configuration.AddCommandLine(["--Kafka:SocketTimeout", "00:00:33", "--Kafka:MetadataRefreshInterval=00:02:00"]);
            builder.Services.AddKafkaClient();
            using var host = builder.Build();

            var client = host.Services.GetRequiredService<IOptionsMonitor<KafkaClientOptions>>().Get(Options.DefaultName);
            var hosting = host.Services.GetRequiredService<IOptionsMonitor<KafkaHostingOptions>>().Get(Options.DefaultName);
            Assert.That(client.Hosts, Is.EqualTo("from-env:9092"));
            Assert.That(client.SocketTimeout, Is.EqualTo(TimeSpan.FromSeconds(33)));
            Assert.That(hosting.Resilience.BaseDelay, Is.EqualTo(TimeSpan.FromMilliseconds(300)));
            Assert.That(client.MetadataRefreshInterval, Is.EqualTo(TimeSpan.FromMinutes(2)));
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "Kafka__Hosts", null);
            Environment.SetEnvironmentVariable(prefix + "Kafka__Resilience__BaseDelay", null);
        }
    }

    [Test]
    public void Code_configuration_runs_after_binding_and_may_read_services()
    {
        using var host = Build(new Dictionary<string, string?> { ["Kafka:Hosts"] = "bound:9092", ["Kafka:ClientId"] = "bound" }, s =>
        {
            s.AddSingleton(new HostsFromService("from-service:9092"));
            s.AddKafkaClient((sp, o) => o.Hosts = sp.GetRequiredService<HostsFromService>().Hosts)
                .ConfigureHosting(o => o.WaitForClusterTimeout = TimeSpan.FromSeconds(9));
        });

        var client = host.Services.GetRequiredService<KafkaClient>();
        Assert.That(client.Options.Hosts, Is.EqualTo("from-service:9092"));
        Assert.That(client.Options.ClientId, Is.EqualTo("bound"));
        Assert.That(host.Services.GetRequiredService<IOptionsMonitor<KafkaHostingOptions>>().Get("").WaitForClusterTimeout, Is.EqualTo(TimeSpan.FromSeconds(9)));
    }

    [Test]
    public void An_explicit_section_binds()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Messaging:Kafka:Hosts"] = "explicit:9092" })
            .Build();
        var services = new ServiceCollection();
        services.AddKafkaClient(configuration.GetSection("Messaging:Kafka"));
        using var provider = services.BuildServiceProvider();

        Assert.That(provider.GetRequiredService<KafkaClient>().Options.Hosts, Is.EqualTo("explicit:9092"));
    }

    [Test]
    public void A_container_without_configuration_uses_code_and_defaults()
    {
        var services = new ServiceCollection();
        services.AddKafkaClient(o => o.Hosts = "code-only:9092");
        using var provider = services.BuildServiceProvider();

        Assert.That(provider.GetRequiredService<KafkaClient>().Options.Hosts, Is.EqualTo("code-only:9092"));
    }

    [Test]
    public async Task Defaults_match_the_documentation()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var options = new KafkaHostingOptions();
        var client = new KafkaClientOptions();

        Assert.That(client.MetadataRefreshInterval, Is.EqualTo(TimeSpan.FromMinutes(5)));
        Assert.That(client.MinRefreshGap, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(options.WaitForClusterOnStart, Is.False);
        Assert.That(options.WaitForClusterTimeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(options.Resilience.MaxRetryAttempts, Is.EqualTo(3));
        Assert.That(options.Resilience.BaseDelay, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
        Assert.That(options.Resilience.MaxDelay, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(options.Resilience.AttemptTimeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
    }

    private static void AssertEveryOption(IServiceProvider services, string name)
    {
        var c = services.GetRequiredService<IOptionsMonitor<KafkaClientOptions>>().Get(name);
        var h = services.GetRequiredService<IOptionsMonitor<KafkaHostingOptions>>().Get(name);
        Assert.Multiple(() =>
        {
            Assert.That(c.Hosts, Is.EqualTo("b1:19092,b2:19093"));
            Assert.That(c.ZooKeeperHosts, Is.EqualTo("zk1:2181,zk2:2182/kafka"));
            Assert.That(c.SocketTimeout, Is.EqualTo(TimeSpan.FromSeconds(21)));
            Assert.That(c.OffsetsChannelSocketTimeout, Is.EqualTo(TimeSpan.FromSeconds(11)));
            Assert.That(c.ConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(7)));
            Assert.That(c.ExcludeInternalTopics, Is.False);
            Assert.That(c.TraceRequests, Is.True);
            Assert.That(c.SourceAddress, Is.EqualTo("127.0.0.1:0"));
            Assert.That(c.BrokerVersion, Is.EqualTo("2.8"));
            Assert.That(c.ClientId, Is.EqualTo("bound-client"));
            Assert.That(c.ReconnectBackoff, Is.EqualTo(TimeSpan.FromMilliseconds(75)));
            Assert.That(c.ReconnectBackoffMax, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(c.MaxResponseSize, Is.EqualTo(1048576));
            Assert.That(c.MetadataRefreshInterval, Is.EqualTo(TimeSpan.FromSeconds(90)));
            Assert.That(c.MinRefreshGap, Is.EqualTo(TimeSpan.FromSeconds(3)));
            Assert.That(h.WaitForClusterOnStart, Is.True);
            Assert.That(h.WaitForClusterTimeout, Is.EqualTo(TimeSpan.FromSeconds(45)));
            Assert.That(h.Resilience.MaxRetryAttempts, Is.EqualTo(5));
            Assert.That(h.Resilience.BaseDelay, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Assert.That(h.Resilience.MaxDelay, Is.EqualTo(TimeSpan.FromSeconds(4)));
            Assert.That(h.Resilience.AttemptTimeout, Is.EqualTo(TimeSpan.FromSeconds(12)));
            Assert.That(c.Ssl, Is.Not.Null);
            Assert.That(c.Ssl!.CaFile, Is.EqualTo(_certificates!.Authority.CertFile));
            Assert.That(c.Ssl.CertFile, Is.EqualTo(_certificates.Client.CertFile));
            Assert.That(c.Ssl.KeyFile, Is.EqualTo(_certificates.Client.EncryptedKeyFile));
            Assert.That(c.Ssl.Password, Is.EqualTo("not-a-real-secret"));
            Assert.That(c.Ssl.CheckHostname, Is.False);
            Assert.That(c.Sasl, Is.Not.Null);
            Assert.That(c.Sasl!.Mechanism, Is.EqualTo(SaslMechanism.ScramSha512));
            Assert.That(c.Sasl.Username, Is.EqualTo("bound-user"));
            Assert.That(c.Sasl.Password, Is.EqualTo("not-a-real-secret"));
            Assert.That(c.Sasl.KerberosServiceName, Is.EqualTo("kafka-bound"));
        });
    }

    /// <summary>The configuration keys of a type's settable properties, nested types as <c>Parent:Child</c>.</summary>
    private static IEnumerable<string> OptionKeys(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var t = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (t.IsClass && t != typeof(string))
            {
                foreach (var key in OptionKeys(t, prefix + property.Name + ":"))
                {
                    yield return key;
                }
            }
            else
            {
                yield return prefix + property.Name;
            }
        }
    }

    private sealed record HostsFromService(string Hosts);
}
