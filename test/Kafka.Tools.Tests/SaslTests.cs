using Kafka.Client;
using Kafka.Testing;
using static Kafka.Tools.Tests.ToolTestSupport;

namespace Kafka.Tools.Tests;

/// <summary>
/// kafka-tools through <see cref="SaslProxy"/> (Cyrus SASL and GNU SASL as the server side, as in the library's SASL
/// tests, where Confluent.Kafka authenticates through the same proxy first): the mechanism and user as flags, the
/// secret from an environment variable or the prompt, never from the command line and never printed.
/// </summary>
public sealed class SaslTests
{
    private const string Password = "alice-Pa55word";
    private static readonly Dictionary<string, string> Users = new() { ["alice"] = Password };

    private static SaslProxyOptions Options(string mechanism, SaslServerLibrary library = SaslServerLibrary.Cyrus) =>
        new() { Mechanisms = [mechanism], Users = Users, Library = library };

    [TestCase("PLAIN", SaslServerLibrary.Cyrus)]
    [TestCase("SCRAM-SHA-256", SaslServerLibrary.Gnu)]
    [TestCase("SCRAM-SHA-512", SaslServerLibrary.Cyrus)]
    public async Task Consume_topic_authenticates_with_the_password_from_the_named_variable(string mechanism, SaslServerLibrary library)
    {
        await using var sasl = await SaslSetup.StartAsync(Options(mechanism, library));
        using var secret = new Variable(Password);

        var run = await ToolRun.RunAsync("consume_topic", "payments", "--from", "earliest", "-l", "3", "-b", sasl.Bootstrap,
            "--sasl-mechanism", mechanism, "--sasl-username", "alice", "--sasl-password-env", secret.Name);

        Assert.That((run.ExitCode, run.Output), Is.EqualTo((0, "one\ntwo\nthree\n")), run.ToString());
        Assert.That(sasl.Proxy.Authentications.Select(a => (a.Mechanism, a.Principal)), Is.All.EqualTo((mechanism, "alice")));
        Assert.That(sasl.Proxy.AuthenticationCount, Is.GreaterThanOrEqualTo(2), "the metadata and the fetch connections both authenticated");
        Assert.That(sasl.Proxy.Failures, Is.Empty);
        Assert.That(run.ToString(), Does.Not.Contain(Password));
    }

    [Test]
    public async Task Kafkas_mechanism_names_and_the_librarys_are_both_accepted_and_the_default_variable_is_read()
    {
        await using var sasl = await SaslSetup.StartAsync(Options("SCRAM-SHA-256"));
        var previous = Environment.GetEnvironmentVariable(SaslFlags.DefaultPasswordVariable);
        Environment.SetEnvironmentVariable(SaslFlags.DefaultPasswordVariable, Password);
        try
        {
            var run = await ToolRun.RunAsync("print_topics", "-b", sasl.Bootstrap, "--sasl-mechanism", "ScramSha256", "--sasl-username", "alice");
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Output, Does.Contain("payments"));
            Assert.That(sasl.Proxy.Authentications, Is.Not.Empty);
            Assert.That(sasl.Proxy.Authentications.Select(a => a.Principal), Is.All.EqualTo("alice"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(SaslFlags.DefaultPasswordVariable, previous);
        }
    }

    [Test]
    public async Task On_a_terminal_the_password_is_asked_for_and_not_echoed()
    {
        await using var sasl = await SaslSetup.StartAsync(Options("SCRAM-SHA-512"));
        var asked = 0;
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        var console = new ToolConsole(output, error, new StringReader(""), readSecret: () => { asked++; return Password; });

        var code = await KafkaTools.RunAsync(
            ["print_topics", "-b", sasl.Bootstrap, "--sasl-mechanism", "SCRAM-SHA-512", "--sasl-username", "alice"], console);

        Assert.That(code, Is.EqualTo(0), error.ToString());
        Assert.That(output.ToString(), Does.Contain("payments"));
        Assert.That(asked, Is.EqualTo(1));
        Assert.That(error.ToString(), Does.Contain("SCRAM-SHA-512 password for alice: "));
        Assert.That(output.ToString() + error, Does.Not.Contain(Password));
        Assert.That(sasl.Proxy.Authentications, Is.Not.Empty);
    }

    [Test]
    public async Task Without_a_variable_or_a_terminal_the_tool_says_where_the_password_goes_and_connects_nowhere()
    {
        await using var sasl = await SaslSetup.StartAsync(Options("PLAIN"));
        Assume.That(Environment.GetEnvironmentVariable(SaslFlags.DefaultPasswordVariable), Is.Null.Or.Empty);

        var run = await ToolRun.RunAsync("print_topics", "-b", sasl.Bootstrap, "--sasl-mechanism", "PLAIN", "--sasl-username", "alice");

        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain("PLAIN needs a password").And.Contain(SaslFlags.DefaultPasswordVariable).And.Contain("--sasl-password-env"));
        Assert.That(sasl.Proxy.AcceptedCount, Is.Zero);
    }

    [Test]
    public async Task Wrong_credentials_exit_5_naming_the_mechanism_never_the_password()
    {
        await using var sasl = await SaslSetup.StartAsync(Options("SCRAM-SHA-256"));
        using var secret = new Variable("not-the-Pa55word");

        var run = await ToolRun.RunAsync("print_topics", "-b", sasl.Bootstrap,
            "--sasl-mechanism", "SCRAM-SHA-256", "--sasl-username", "alice", "--sasl-password-env", secret.Name);

        Assert.That(run.ExitCode, Is.EqualTo(5), run.ToString());
        Assert.That(run.Error, Does.StartWith("error: the cluster refused the credentials").And.Contain("SCRAM-SHA-256").And.Contain(sasl.Bootstrap));
        Assert.That(run.ToString(), Does.Not.Contain("not-the-Pa55word"));
    }

    [Test]
    public async Task OAuthBearer_takes_the_token_from_the_variable()
    {
        await using var sasl = await SaslSetup.StartAsync(Options("OAUTHBEARER"));
        var token = OAuthBearerToken.CreateUnsecured("alice", TimeSpan.FromHours(1));
        using var secret = new Variable(token.Value);

        var run = await ToolRun.RunAsync("print_topics", "-b", sasl.Bootstrap, "--sasl-mechanism", "oauthbearer", "--sasl-password-env", secret.Name);

        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Output, Does.Contain("payments"));
        var authentication = sasl.Proxy.Authentications.First();
        Assert.That((authentication.Mechanism, authentication.Principal), Is.EqualTo(("OAUTHBEARER", "alice")));
        Assert.That(authentication.SessionLifetime, Is.LessThanOrEqualTo(TimeSpan.FromHours(1)), "the broker read the token's expiry");
        Assert.That(run.ToString(), Does.Not.Contain(token.Value));
    }

    [Test]
    public async Task The_config_files_Sasl_section_in_Kafkas_spelling_and_TLS_flags_combine_with_the_variable()
    {
        using var certificates = TestCertificates.Create();
        await using var sasl = await SaslSetup.StartAsync(Options("SCRAM-SHA-512"), certificates);
        using var secret = new Variable(Password);
        var config = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"sasl.{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, """{ "Kafka": { "Sasl": { "Mechanism": "SCRAM-SHA-512", "Username": "alice" } } }""");
        try
        {
            var run = await ToolRun.RunAsync("print_topics", "--config", config, "-b", sasl.Bootstrap,
                "--ssl-cafile", certificates.Authority.CertFile, "--sasl-password-env", secret.Name);
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Output, Does.Contain("payments"));
            Assert.That(sasl.Proxy.Authentications, Is.Not.Empty);
            Assert.That(sasl.Proxy.Authentications.Select(a => (a.Mechanism, a.Principal)), Is.All.EqualTo(("SCRAM-SHA-512", "alice")));
            Assert.That(sasl.Tls!.AcceptedCount, Is.GreaterThan(0), "the SASL exchange ran inside TLS");
        }
        finally
        {
            File.Delete(config);
        }
    }

    [TestCase("print_topics --sasl-mechanism SCRAM-SHA-1 --sasl-username alice", "--sasl-mechanism: SCRAM-SHA-1 is not a mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, GSSAPI)")]
    [TestCase("print_topics --sasl-mechanism SCRAM-SHA-256", "--sasl-username: must be set for SCRAM-SHA-256")]
    [TestCase("print_topics --sasl-username alice", "need --sasl-mechanism")]
    [TestCase("print_topics --sasl-mechanism PLAIN --sasl-username alice --sasl-password-env KAFKA_TOOLS_TEST_UNSET_VARIABLE", "the environment variable KAFKA_TOOLS_TEST_UNSET_VARIABLE is not set")]
    [TestCase("print_topics --sasl-mechanism PLAIN --sasl-username alice --sasl-password alice-secret", "--sasl-password: a password is not taken on the command line")]
    public async Task Bad_SASL_flags_are_usage_errors_that_say_what_is_wrong(string commandLine, string message)
    {
        var run = await ToolRun.RunAsync(commandLine.Split(' '));
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.Contain(message));
        Assert.That(run.Error, Does.Not.Contain("alice-secret"));
    }

    [Test]
    public async Task The_help_lists_the_SASL_options_and_where_the_password_comes_from()
    {
        var run = await ToolRun.RunAsync("print_topics", "--help");
        Assert.That(run.Output, Does.Contain("--sasl-mechanism").And.Contain("--sasl-username").And.Contain("--sasl-password-env")
            .And.Contain("--sasl-kerberos-service-name").And.Contain(SaslFlags.DefaultPasswordVariable));
    }

    /// <summary>An environment variable of this process with a name no other test uses, removed on dispose.</summary>
    private sealed class Variable : IDisposable
    {
        public Variable(string value)
        {
            Name = $"KAFKA_TOOLS_TEST_{Guid.NewGuid():N}";
            Environment.SetEnvironmentVariable(Name, value);
        }

        public string Name { get; }

        public void Dispose() => Environment.SetEnvironmentVariable(Name, null);
    }

    /// <summary>
    /// One mock broker holding topic payments (one, two, three, four), reached only through a SASL proxy, and optionally a TLS
    /// proxy in front of it; the metadata advertises the outermost proxy.
    /// </summary>
    private sealed class SaslSetup : IAsyncDisposable
    {
        private SaslSetup(MockKafkaCluster cluster, SaslProxy proxy, TlsProxy? tls)
        {
            Cluster = cluster;
            Proxy = proxy;
            Tls = tls;
        }

        public MockKafkaCluster Cluster { get; }

        public SaslProxy Proxy { get; }

        public TlsProxy? Tls { get; }

        public string Bootstrap => Tls?.Address ?? Proxy.Address;

        public static async Task<SaslSetup> StartAsync(SaslProxyOptions options, TestCertificates? certificates = null)
        {
            var cluster = Start();
            cluster.CreateTopic("payments", partitions: 1);
            // Produced straight to the broker: what the tool reads through the proxies is what Confluent.Kafka wrote.
            await ProduceAsync(cluster.BootstrapServers, "payments", 0, "one", "two", "three", "four");
            var proxy = SaslProxy.InFrontOf(cluster, options).Values.Single();
            TlsProxy? tls = null;
            if (certificates is not null)
            {
                tls = new TlsProxy("127.0.0.1", proxy.Port, new TlsProxyOptions { ServerCertificate = certificates.Server.Certificate });
                cluster.SetBrokerHostPort(cluster.BrokerIds[0], "127.0.0.1", tls.Port);
            }
            return new SaslSetup(cluster, proxy, tls);
        }

        public async ValueTask DisposeAsync()
        {
            if (Tls is not null)
            {
                await Tls.DisposeAsync();
            }
            await Proxy.DisposeAsync();
            await Cluster.DisposeAsync();
        }
    }
}
