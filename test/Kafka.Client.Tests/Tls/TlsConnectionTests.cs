using System.Diagnostics;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Kafka.Client.Internal;
using Kafka.Client.Tests.Fixtures;
using Kafka.Client.Tests.Support;
using Kafka.Testing;
using Microsoft.Extensions.Logging;
using static Kafka.Client.Tests.Support.TestSupport;

namespace Kafka.Client.Tests.Tls;

/// <summary>TLS against a real TLS endpoint: proxies terminating TLS in front of the mock brokers.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class TlsConnectionTests
{
    /// <summary>Long enough that a failure well inside it proves the client did not wait for it.</summary>
    private static readonly TimeSpan LongConnectTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(4);

    private static TestCertificates Certs => TlsEnvironment.Certificates;

    private static TlsProxyOptions Serving(TestCertificate server) => new() { ServerCertificate = server.Certificate };

    private static TlsProxyOptions RequiringClientCertificates() => new()
    {
        ServerCertificate = Certs.Server.Certificate,
        RequireClientCertificate = true,
        ClientCertificateAuthority = Certs.Authority.Certificate,
    };

    private static SslConfig TrustingOurCa() => new() { CaFile = Certs.Authority.CertFile };

    private static KafkaClient NewTlsClient(string hosts, SslConfig? ssl, ILoggerFactory? logs = null, TimeSpan? connectTimeout = null) =>
        new(new KafkaClientOptions
        {
            Hosts = hosts,
            Ssl = ssl,
            SocketTimeout = TimeSpan.FromSeconds(5),
            ConnectTimeout = connectTimeout ?? LongConnectTimeout,
            ReconnectBackoff = TimeSpan.FromMilliseconds(20),
            ReconnectBackoffMax = TimeSpan.FromMilliseconds(200),
        }, logs);

    /// <summary>Runs a cluster update that must fail, returning the one attempt's error and how long it took.</summary>
    private static async Task<(TException Error, NoBrokersAvailableException Outer, TimeSpan Elapsed)> UpdateFailsWith<TException>(KafkaClient client)
        where TException : Exception
    {
        var watch = Stopwatch.StartNew();
        NoBrokersAvailableException? outer = null;
        try
        {
            await client.UpdateClusterAsync(Timeout());
        }
        catch (NoBrokersAvailableException ex)
        {
            outer = ex;
        }
        watch.Stop();
        Assert.That(outer, Is.Not.Null, "the update must fail");
        var error = outer!.Attempts.Single().Value;
        await TestContext.Out.WriteLineAsync($"{error.GetType().Name}: {error.Message}");
        Assert.That(error, Is.InstanceOf<TException>(), error.ToString());
        return ((TException)error, outer, watch.Elapsed);
    }

    [Test]
    public async Task Metadata_and_offset_lookups_go_over_TLS_to_every_broker()
    {
        await using var tls = TlsCluster.Start(Serving(Certs.Server), brokers: 3);
        tls.Cluster.CreateTopic("secure", partitions: 6);
        // The seed by name (checked against the certificate's DNS name); the brokers as metadata advertises them (by IP).
        var seed = "localhost:" + tls.Proxies[tls.Cluster.BrokerIds[0]].Port;
        await using var client = NewTlsClient(seed, TrustingOurCa());

        await client.UpdateClusterAsync(Timeout());
        var offsets = await client.Topics["secure"].LatestAvailableOffsetsAsync(Timeout());

        Assert.That(offsets, Has.Count.EqualTo(6));
        Assert.That(offsets.Values, Is.All.EqualTo(0));
        Assert.That(client.Brokers.Values.Select(b => b.Port), Is.EquivalentTo(tls.Proxies.Values.Select(p => p.Port)), "only the proxies are advertised");
        var leaders = client.Topics["secure"].Partitions.Values.Select(p => p.Leader!.Id).Distinct().ToList();
        foreach (var id in leaders)
        {
            Assert.That(tls.Proxies[id].HandshakeCount, Is.GreaterThanOrEqualTo(1), $"broker {id} was reached through TLS");
        }
        Assert.That(leaders, Has.Count.GreaterThan(1), "the lookups reached brokers learnt from metadata");
        Assert.That(tls.Proxies.Values.SelectMany(p => p.HandshakeFailures), Is.Empty);
    }

    [Test]
    public async Task Every_traffic_class_connects_over_TLS()
    {
        await using var tls = TlsCluster.Start(Serving(Certs.Server));
        await using var client = NewTlsClient(tls.Bootstrap, TrustingOurCa());
        await client.UpdateClusterAsync(Timeout());
        var proxy = tls.Proxies[1];

        // Each class has a connection of its own (the background refresh may have opened General already, so the
        // handshakes are not counted from here): every one is TLS and alive.
        var connections = new List<BrokerConnection>();
        foreach (var kind in Enum.GetValues<ConnectionKind>())
        {
            var connection = await client.Brokers[1].GetConnectionAsync(kind, Timeout());
            Assert.That((connection.IsAlive, connection.IsTls), Is.EqualTo((true, true)), kind.ToString());
            connections.Add(connection);
        }

        Assert.That(connections.Distinct().Count(), Is.EqualTo(Enum.GetValues<ConnectionKind>().Length), "one connection per class");
        Assert.That(proxy.HandshakeCount, Is.GreaterThanOrEqualTo(Enum.GetValues<ConnectionKind>().Length));
        // Connections the background refresh opens may be mid-handshake now, so accepted and completed handshakes are not
        // compared; none may have failed (a plaintext client fails the proxy's handshake).
        Assert.That(proxy.HandshakeFailures, Is.Empty, "no connection arrived without TLS");
    }

    [TestCase(SslProtocols.Tls12)]
    [TestCase(SslProtocols.Tls13)]
    public async Task Both_TLS_versions_are_spoken(SslProtocols protocol)
    {
        await using var tls = TlsCluster.Start(new TlsProxyOptions { ServerCertificate = Certs.Server.Certificate, Protocols = protocol });
        await using var client = NewTlsClient(tls.Bootstrap, TrustingOurCa());

        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Brokers, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_broker_certificate_from_an_untrusted_CA_is_an_authentication_error_naming_the_broker_promptly()
    {
        await using var tls = TlsCluster.Start(Serving(Certs.Server));
        await using var client = NewTlsClient(tls.Bootstrap, new SslConfig { CaFile = Certs.OtherAuthority.CertFile });

        var (error, outer, elapsed) = await UpdateFailsWith<KafkaAuthenticationException>(client);

        Assert.That(error.Message, Does.Contain(tls.Bootstrap).And.Contain("not signed by a trusted CA").And.Contain(Certs.OtherAuthority.CertFile));
        Assert.That(error.SslPolicyErrors, Is.EqualTo(SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.That(error.ChainStatus & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain), Is.Not.EqualTo(X509ChainStatusFlags.NoError));
        Assert.That(error.IsRetriable, Is.False);
        Assert.That(outer.IsRetriable, Is.False, "every host failed for good");
        Assert.That(elapsed, Is.LessThan(Prompt), "no waiting for the connect timeout");
        Assert.That(tls.Proxies[1].AcceptedCount, Is.EqualTo(1), "one attempt, not retried in a loop");

        // A later call tries again (after the reconnect backoff) and fails the same way.
        await UpdateFailsWith<KafkaAuthenticationException>(client);
        Assert.That(tls.Proxies[1].AcceptedCount, Is.EqualTo(2));
    }

    [Test]
    public async Task An_expired_broker_certificate_is_refused_naming_that_broker()
    {
        // Broker 1 (the seed) is fine; broker 2's certificate has expired: only what goes to broker 2 fails.
        await using var tls = TlsCluster.Start(Serving(Certs.Server), Serving(Certs.ExpiredServer));
        tls.Cluster.CreateTopic("two", partitions: 2);
        tls.Cluster.SetPartitionLeader("two", 0, 1);
        tls.Cluster.SetPartitionLeader("two", 1, 2);
        await using var client = NewTlsClient(tls.Bootstrap, TrustingOurCa());
        await client.UpdateClusterAsync(Timeout());
        var topic = client.Topics["two"];

        Assert.That(await topic.Partitions[0].LatestAvailableOffsetAsync(Timeout()), Is.Zero);
        var watch = Stopwatch.StartNew();
        var error = Assert.ThrowsAsync<KafkaAuthenticationException>(() => topic.Partitions[1].LatestAvailableOffsetAsync(Timeout()));
        watch.Stop();
        await TestContext.Out.WriteLineAsync(error!.Message);

        Assert.That(error!.Message, Does.Contain("broker 2 at " + tls.Proxies[2].Address).And.Contain("has expired or is not yet valid"));
        Assert.That(error.ChainStatus.HasFlag(X509ChainStatusFlags.NotTimeValid), Is.True);
        Assert.That(error.Host, Is.EqualTo("127.0.0.1"));
        Assert.That(error.Port, Is.EqualTo(tls.Proxies[2].Port));
        Assert.That(watch.Elapsed, Is.LessThan(Prompt));
    }

    [Test]
    public async Task A_certificate_for_another_host_is_refused()
    {
        await using var tls = TlsCluster.Start(Serving(Certs.WrongHostServer));
        await using var client = NewTlsClient(tls.Bootstrap, TrustingOurCa());

        var (error, _, elapsed) = await UpdateFailsWith<KafkaAuthenticationException>(client);

        Assert.That(error.SslPolicyErrors, Is.EqualTo(SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.That(error.Message, Does.Contain("is not for host '127.0.0.1'").And.Contain("broker.wrong-host.invalid").And.Contain("Ssl:CheckHostname"));
        Assert.That(elapsed, Is.LessThan(Prompt));
    }

    [Test]
    public async Task A_certificate_for_another_host_is_accepted_when_host_name_checking_is_off()
    {
        await using var tls = TlsCluster.Start(Serving(Certs.WrongHostServer));
        var logs = new CapturingLoggerFactory();
        await using var client = NewTlsClient(tls.Bootstrap, new SslConfig { CaFile = Certs.Authority.CertFile, CheckHostname = false }, logs);

        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Brokers, Has.Count.EqualTo(1));
        Assert.That(logs.Entries, Has.Some.StartsWith("Warning").And.Contains("Host-name checking is off"));
    }

    [Test]
    public async Task Host_name_checking_off_still_refuses_an_untrusted_certificate()
    {
        await using var tls = TlsCluster.Start(Serving(Certs.WrongHostServer));
        await using var client = NewTlsClient(tls.Bootstrap, new SslConfig { CaFile = Certs.OtherAuthority.CertFile, CheckHostname = false });

        var (error, _, _) = await UpdateFailsWith<KafkaAuthenticationException>(client);

        Assert.That(error.SslPolicyErrors, Is.EqualTo(SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Test]
    public async Task A_broker_requiring_client_certificates_accepts_ours()
    {
        await using var tls = TlsCluster.Start(RequiringClientCertificates(), brokers: 2);
        await using var client = NewTlsClient(tls.Bootstrap, new SslConfig
        {
            CaFile = Certs.Authority.CertFile,
            CertFile = Certs.Client.CertFile,
            KeyFile = Certs.Client.KeyFile,
        });

        await client.UpdateClusterAsync(Timeout());

        Assert.That(client.Brokers, Has.Count.EqualTo(2));
        Assert.That(tls.Proxies[1].ClientCertificateSubjects, Is.Not.Empty.And.All.EqualTo("CN=client"));
    }

    [Test]
    public async Task A_broker_requiring_client_certificates_refuses_a_client_without_one_promptly()
    {
        await using var tls = TlsCluster.Start(RequiringClientCertificates());
        await using var client = NewTlsClient(tls.Bootstrap, TrustingOurCa());

        var (error, outer, elapsed) = await UpdateFailsWith<KafkaAuthenticationException>(client);

        Assert.That(error.Message, Does.Contain(tls.Bootstrap).And.Contain("requires a client certificate").And.Contain("Ssl:CertFile"));
        Assert.That(error.IsRetriable, Is.False);
        Assert.That(outer.IsRetriable, Is.False);
        Assert.That(elapsed, Is.LessThan(Prompt));
        Assert.That(tls.Proxies[1].HandshakeFailures, Is.Not.Empty, "the proxy refused the client");
    }

    [Test]
    public async Task A_broker_refuses_a_client_certificate_from_a_CA_it_does_not_trust()
    {
        using var stranger = Certs.IssueClient("stranger", issuer: Certs.OtherAuthority);
        await using var tls = TlsCluster.Start(RequiringClientCertificates());
        await using var client = NewTlsClient(tls.Bootstrap, new SslConfig
        {
            CaFile = Certs.Authority.CertFile,
            CertFile = stranger.CertFile,
            KeyFile = stranger.KeyFile,
        });

        var (error, _, elapsed) = await UpdateFailsWith<KafkaAuthenticationException>(client);

        Assert.That(error.Message, Does.Contain("rejected the client certificate 'CN=stranger'"));
        Assert.That(elapsed, Is.LessThan(Prompt));
    }

    [Test]
    public async Task An_encrypted_key_with_the_right_password_authenticates()
    {
        await using var tls = TlsCluster.Start(RequiringClientCertificates());
        await using var client = NewTlsClient(tls.Bootstrap, new SslConfig
        {
            CaFile = Certs.Authority.CertFile,
            CertFile = Certs.Client.CertFile,
            KeyFile = Certs.Client.EncryptedKeyFile,
            Password = Certs.Password,
        });

        await client.UpdateClusterAsync(Timeout());

        Assert.That(tls.Proxies[1].ClientCertificateSubjects, Has.Some.EqualTo("CN=client"));
    }

    [Test]
    public async Task An_RSA_client_certificate_with_a_PKCS1_key_authenticates()
    {
        using var rsaClient = Certs.IssueClient("rsa-client", algorithm: TestKeyAlgorithm.Rsa2048);
        var pkcs1 = Path.Combine(Certs.Directory, "rsa-client.pkcs1.key");
        using (var key = rsaClient.Certificate.GetRSAPrivateKey()!)
        {
            await File.WriteAllTextAsync(pkcs1, key.ExportRSAPrivateKeyPem());
        }
        await using var tls = TlsCluster.Start(RequiringClientCertificates());
        await using var client = NewTlsClient(tls.Bootstrap, new SslConfig { CaFile = Certs.Authority.CertFile, CertFile = rsaClient.CertFile, KeyFile = pkcs1 });

        await client.UpdateClusterAsync(Timeout());

        Assert.That(tls.Proxies[1].ClientCertificateSubjects, Has.Some.EqualTo("CN=rsa-client"));
    }

    [Test]
    public void An_encrypted_key_with_a_wrong_password_is_an_options_error_that_names_the_key_not_the_password()
    {
        const string wrong = "not-the-password-42";
        var options = new KafkaClientOptions
        {
            Ssl = new SslConfig
            {
                CaFile = Certs.Authority.CertFile,
                CertFile = Certs.Client.CertFile,
                KeyFile = Certs.Client.EncryptedKeyFile,
                Password = wrong,
            },
        };

        var error = Assert.Throws<ArgumentException>(() => new KafkaClient(options));

        Assert.That(error!.Message, Does.Contain("Ssl:Password: does not decrypt the private key in '" + Certs.Client.EncryptedKeyFile + "'"));
        Assert.That(error.ToString(), Does.Not.Contain(wrong).And.Not.Contain(Certs.Password));
    }

    [Test]
    public async Task A_plaintext_client_against_a_TLS_port_fails_clearly_within_the_connect_timeout()
    {
        await using var tls = TlsCluster.Start(Serving(Certs.Server));
        var connectTimeout = TimeSpan.FromSeconds(2);
        await using var client = NewTlsClient(tls.Bootstrap, ssl: null, connectTimeout: connectTimeout);

        var (error, _, elapsed) = await UpdateFailsWith<KafkaException>(client);

        Assert.That(error.Message, Does.Contain(tls.Bootstrap).And.Contain("set Ssl"));
        Assert.That(elapsed, Is.LessThan(connectTimeout + TimeSpan.FromSeconds(1)));
        Assert.That(tls.Proxies[1].HandshakeFailures, Is.Not.Empty);
    }

    [Test]
    public async Task A_plaintext_client_answered_with_a_TLS_alert_is_told_the_port_speaks_TLS()
    {
        // What a broker's TLS listener may send to a client that does not speak TLS: a fatal alert record.
        await using var broker = new ScriptedBroker(async (c, ct) =>
        {
            await c.ReadRequestAsync(ct);
            await c.WriteAsync([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0A], ct);
            await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);
        });
        await using var client = NewTlsClient(broker.Address, ssl: null);

        var (error, _, elapsed) = await UpdateFailsWith<KafkaException>(client);

        Assert.That(error.Message, Does.Contain("TLS record").And.Contain("set Ssl"));
        Assert.That(elapsed, Is.LessThan(Prompt));
    }

    [Test]
    public async Task A_TLS_client_against_a_plaintext_port_fails_clearly_within_the_connect_timeout()
    {
        await using var cluster = MockKafkaCluster.Start(1);
        var connectTimeout = TimeSpan.FromSeconds(2);
        await using var client = NewTlsClient(cluster.BootstrapServers, TrustingOurCa(), connectTimeout: connectTimeout);

        var (error, _, elapsed) = await UpdateFailsWith<KafkaException>(client);

        Assert.That(error.Message, Does.Contain(cluster.BootstrapServers).And.Contain("TLS listener"));
        Assert.That(elapsed, Is.LessThan(connectTimeout + TimeSpan.FromSeconds(1)));
    }

    [Test]
    public async Task The_password_appears_in_no_log_no_exception_and_no_ToString()
    {
        var logs = new CapturingLoggerFactory();
        var ssl = new SslConfig
        {
            CaFile = Certs.Authority.CertFile,
            CertFile = Certs.Client.CertFile,
            KeyFile = Certs.Client.EncryptedKeyFile,
            Password = Certs.Password,
        };
        var seen = new List<string> { ssl.ToString(), new KafkaClientOptions { Ssl = ssl }.Ssl!.ToString() };

        // A session that works (mutual TLS with the encrypted key) ...
        await using (var tls = TlsCluster.Start(RequiringClientCertificates()))
        await using (var client = NewTlsClient(tls.Bootstrap, ssl, logs))
        {
            await client.UpdateClusterAsync(Timeout());
            seen.Add(client.Options.Ssl!.ToString());
        }
        // ... one whose handshake fails ...
        await using (var tls = TlsCluster.Start(Serving(Certs.ExpiredServer)))
        await using (var client = NewTlsClient(tls.Bootstrap, ssl, logs))
        {
            var (_, outer, _) = await UpdateFailsWith<KafkaAuthenticationException>(client);
            seen.Add(outer.ToString());
        }
        // ... and options that do not validate.
        var invalid = new KafkaClientOptions { Ssl = new SslConfig { CertFile = Certs.Client.CertFile, KeyFile = Certs.Client.EncryptedKeyFile, Password = Certs.Password + "x" } };
        seen.Add(Assert.Throws<ArgumentException>(() => new KafkaClient(invalid, logs))!.ToString());
        seen.AddRange(KafkaClientOptionsValidator.Validate(invalid));

        Assert.That(logs.Entries, Has.Some.Contains("TLS is on"), "the TLS set-up was logged");
        Assert.That(logs.Entries, Has.Some.Contains("has expired"), "the failure was logged");
        Assert.That(seen, Has.Some.Contains("Password = ***"));
        foreach (var text in seen.Concat(logs.Entries))
        {
            Assert.That(text, Does.Not.Contain(Certs.Password));
        }
    }
}
