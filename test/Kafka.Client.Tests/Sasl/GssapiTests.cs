using System.Diagnostics;
using Kafka.Client.Internal;
using Kafka.Testing;
using static Kafka.Client.Tests.Sasl.SaslTestSupport;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Sasl;

/// <summary>
/// GSSAPI against a real MIT Kerberos KDC (Debian's krb5-kdc, started once on loopback) and Cyrus SASL's GSSAPI server.
/// The peer is kcat (Debian's librdkafka, which does GSSAPI through Cyrus SASL): it authenticates through the same proxy
/// first.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class GssapiTests
{
    private static SaslProxyOptions Kerberos() => new() { Mechanisms = ["GSSAPI"], KerberosHostName = SaslEnvironment.KerberosHost };

    private static SaslConfig LoggingIn(string password = SaslEnvironment.KerberosPassword) =>
        new() { Mechanism = SaslMechanism.Gssapi, Username = SaslEnvironment.KerberosUser, Password = password };

    [TestCase(false)]
    [TestCase(true)]
    public async Task Kcat_then_our_client_authenticate_with_Kerberos(bool tls)
    {
        var kdc = await SaslEnvironment.KerberosAsync();
        await using var sasl = SaslCluster.Start(Kerberos(), brokers: 2, tls: tls, advertisedHost: SaslEnvironment.KerberosHost);
        sasl.Cluster.CreateTopic("kerberized", partitions: 2);
        sasl.Cluster.SetPartitionLeader("kerberized", 0, 1);
        sasl.Cluster.SetPartitionLeader("kerberized", 1, 2);

        var cache = await kdc.KinitAsync(SaslEnvironment.KerberosUser, SaslEnvironment.KerberosPassword);
        var metadata = await Kcat(kdc, cache, sasl, tls, "-L", "-t", "kerberized");
        Assert.That(metadata, Does.Contain("topic \"kerberized\" with 2 partitions"), "kcat read metadata through the proxy");
        var peer = sasl.Authentications.Count();
        Assert.That(peer, Is.GreaterThan(0));

        await using var client = NewClient(sasl, LoggingIn(), tls, configure: o => o.Hosts = $"{SaslEnvironment.KerberosHost}:{sasl.Cluster.BrokerIds.Select(id => tls ? sasl.Tls![id].Port : sasl.Proxies[id].Port).First()}");
        await client.UpdateClusterAsync(Timeout());
        var offsets = await client.Topics["kerberized"].LatestAvailableOffsetsAsync(Timeout());
        foreach (var kind in Enum.GetValues<ConnectionKind>())
        {
            Assert.That((await client.Brokers[2].GetConnectionAsync(kind, Timeout())).IsAlive, Is.True, kind.ToString());
        }

        Assert.That(offsets, Has.Count.EqualTo(2));
        var ours = sasl.Authentications.ToList();
        Assert.That(ours.Count - peer, Is.GreaterThanOrEqualTo(2 + 4), "the seed, both leaders and every traffic class");
        Assert.That(ours.Select(a => a.Mechanism), Is.All.EqualTo("GSSAPI"));
        Assert.That(ours.Select(a => a.Principal), Is.All.StartsWith(SaslEnvironment.KerberosUser));
        Assert.That(sasl.Failures, Is.Empty);
    }

    [Test]
    public async Task Without_a_user_the_ticket_cache_is_used()
    {
        var kdc = await SaslEnvironment.KerberosAsync();
        await kdc.KinitAsync(SaslEnvironment.KerberosUser, SaslEnvironment.KerberosPassword, defaultCache: true);
        await using var sasl = SaslCluster.Start(Kerberos(), advertisedHost: SaslEnvironment.KerberosHost);
        await using var client = NewClient(sasl, new SaslConfig { Mechanism = SaslMechanism.Gssapi }, tls: false,
            configure: o => o.Hosts = $"{SaslEnvironment.KerberosHost}:{sasl.Proxies[1].Port}");

        await client.UpdateClusterAsync(Timeout());

        Assert.That(sasl.Authentications.Select(a => a.Principal), Is.All.StartsWith(SaslEnvironment.KerberosUser));
    }

    [TestCase("alice", "wrong-password")]
    [TestCase("nobody", "any-password")]
    public async Task Bad_credentials_fail_with_an_authentication_error_naming_the_broker(string user, string password)
    {
        await SaslEnvironment.KerberosAsync();
        await using var sasl = SaslCluster.Start(Kerberos(), advertisedHost: SaslEnvironment.KerberosHost);
        await using var client = NewClient(sasl, new SaslConfig { Mechanism = SaslMechanism.Gssapi, Username = user, Password = password }, tls: false,
            configure: o => o.Hosts = $"{SaslEnvironment.KerberosHost}:{sasl.Proxies[1].Port}");

        var error = Assert.ThrowsAsync<NoBrokersAvailableException>(() => client.UpdateClusterAsync(Timeout()));

        var cause = error!.Attempts.Single().Value;
        TestContext.Out.WriteLine(cause.Message);
        Assert.That(cause, Is.InstanceOf<KafkaAuthenticationException>());
        Assert.That(((KafkaAuthenticationException)cause).SaslMechanism, Is.EqualTo("GSSAPI"));
        Assert.That(cause.Message, Does.Contain(sasl.Proxies[1].Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(cause.Message, Does.Not.Contain(password));
        Assert.That(error.IsRetriable, Is.False);
    }

    [Test]
    public async Task A_broker_principal_the_KDC_does_not_know_is_named_in_the_error()
    {
        await SaslEnvironment.KerberosAsync();
        await using var sasl = SaslCluster.Start(Kerberos(), advertisedHost: SaslEnvironment.KerberosHost);
        var config = LoggingIn();
        config.KerberosServiceName = "not-kafka";
        await using var client = NewClient(sasl, config, tls: false, configure: o => o.Hosts = $"{SaslEnvironment.KerberosHost}:{sasl.Proxies[1].Port}");

        var error = Assert.ThrowsAsync<NoBrokersAvailableException>(() => client.UpdateClusterAsync(Timeout()));

        var cause = error!.Attempts.Single().Value;
        TestContext.Out.WriteLine(cause.Message);
        Assert.That(cause, Is.InstanceOf<KafkaAuthenticationException>());
        Assert.That(cause.Message, Does.Contain("not-kafka/localhost"));
    }

    /// <summary>Runs Debian's kcat (librdkafka with Cyrus SASL) with GSSAPI against the cluster; returns its output.</summary>
    private static async Task<string> Kcat(KerberosKdc kdc, string cache, SaslCluster sasl, bool tls, params string[] arguments)
    {
        var start = new ProcessStartInfo("kcat")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in kdc.Environment)
        {
            start.Environment[name] = value;
        }
        start.Environment["KRB5CCNAME"] = cache;
        var port = tls ? sasl.Tls![sasl.Cluster.BrokerIds[0]].Port : sasl.Proxies[sasl.Cluster.BrokerIds[0]].Port;
        foreach (var argument in (string[])["-b", $"{SaslEnvironment.KerberosHost}:{port}", "-m", "15",
            "-X", $"security.protocol={(tls ? "SASL_SSL" : "SASL_PLAINTEXT")}",
            "-X", "sasl.mechanisms=GSSAPI",
            "-X", "sasl.kerberos.service.name=kafka",
            "-X", "sasl.kerberos.min.time.before.relogin=0", // the ticket is in the cache: no kinit from librdkafka
            .. tls ? (string[])["-X", "ssl.ca.location=" + SaslCluster.TrustingTestCa().CaFile] : [],
            .. arguments])
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(Timeout(TimeSpan.FromSeconds(30)));
        var text = await output;
        Assert.That(process.ExitCode, Is.Zero,
            $"kcat failed: {text}{await error}{Environment.NewLine}{string.Join(Environment.NewLine, sasl.Failures)}{Environment.NewLine}{kdc.LogTail()}");
        return text;
    }
}
