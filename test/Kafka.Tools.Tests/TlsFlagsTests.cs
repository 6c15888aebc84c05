using Kafka.Testing;
using static Kafka.Tools.Tests.ToolTestSupport;

namespace Kafka.Tools.Tests;

/// <summary>
/// kafka-tools over mutual TLS (a <see cref="TlsProxy"/> that requires a client certificate signed by the test CA):
/// an encrypted private key's password comes from an environment variable, never from the command line.
/// </summary>
public sealed class TlsFlagsTests
{
    [Test]
    public async Task An_encrypted_client_key_is_opened_with_the_password_from_the_named_variable()
    {
        await using var setup = await MutualTls.StartAsync();
        var variable = $"KAFKA_TOOLS_TEST_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, setup.Certificates.Password);
        try
        {
            var run = await ToolRun.RunAsync(setup.Flags(["print_topics", "--ssl-password-env", variable]));

            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Output, Does.Contain("payments"));
            Assert.That(setup.Tls.AcceptedCount, Is.GreaterThan(0), "the tool connected through the proxy, which requires its certificate");
            Assert.That(run.ToString(), Does.Not.Contain(setup.Certificates.Password));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Test]
    public async Task Without_the_password_the_tool_names_the_key_and_connects_nowhere()
    {
        await using var setup = await MutualTls.StartAsync();
        Assume.That(Environment.GetEnvironmentVariable(ConnectionOptions.DefaultSslPasswordVariable), Is.Null.Or.Empty);

        var run = await ToolRun.RunAsync(setup.Flags(["print_topics"]));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("Ssl:KeyFile").Or.Contain("Ssl:Password"));
        Assert.That(setup.Tls.AcceptedCount, Is.Zero);
    }

    [TestCase("print_topics --ssl-cafile ca.pem --ssl-password alice-secret", "--ssl-password: a password is not taken on the command line")]
    [TestCase("print_topics --ssl-cafile ca.pem --ssl-password-env KAFKA_TOOLS_TEST_UNSET_VARIABLE", "--ssl-password-env: the environment variable KAFKA_TOOLS_TEST_UNSET_VARIABLE is not set")]
    public async Task Bad_TLS_password_flags_are_usage_errors_that_say_what_is_wrong(string commandLine, string message)
    {
        var run = await ToolRun.RunAsync(commandLine.Split(' '));

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain(message));
        Assert.That(run.Error, Does.Not.Contain("alice-secret"));
    }

    /// <summary>One mock broker holding topic payments, reached only through a TLS proxy that requires a client certificate.</summary>
    private sealed class MutualTls : IAsyncDisposable
    {
        private readonly MockKafkaCluster _cluster;

        private MutualTls(MockKafkaCluster cluster, TlsProxy tls, TestCertificates certificates)
        {
            _cluster = cluster;
            Tls = tls;
            Certificates = certificates;
        }

        public TlsProxy Tls { get; }

        public TestCertificates Certificates { get; }

        public string[] Flags(string[] command) =>
        [
            .. command, "-b", Tls.Address, "--ssl-cafile", Certificates.Authority.CertFile,
            "--ssl-certfile", Certificates.Client.CertFile, "--ssl-keyfile", Certificates.Client.EncryptedKeyFile,
        ];

        public static async Task<MutualTls> StartAsync()
        {
            var certificates = TestCertificates.Create();
            var cluster = Start();
            cluster.CreateTopic("payments", partitions: 1);
            await ProduceAsync(cluster.BootstrapServers, "payments", 0, "one");
            var tls = new TlsProxy("127.0.0.1", cluster.GetBrokerPort(cluster.BrokerIds[0]), new TlsProxyOptions
            {
                ServerCertificate = certificates.Server.Certificate,
                RequireClientCertificate = true,
                ClientCertificateAuthority = certificates.Authority.Certificate,
            });
            cluster.SetBrokerHostPort(cluster.BrokerIds[0], "127.0.0.1", tls.Port);
            return new MutualTls(cluster, tls, certificates);
        }

        public async ValueTask DisposeAsync()
        {
            await Tls.DisposeAsync();
            await _cluster.DisposeAsync();
            Certificates.Dispose();
        }
    }
}
