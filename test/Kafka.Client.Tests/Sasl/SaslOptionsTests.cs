using System.Text.Json;
using Kafka.Client.Internal;

namespace Kafka.Client.Tests.Sasl;

/// <summary>SASL settings checked at creation (every problem with its key), the Event Hubs connection string, and secrets
/// kept out of ToString and of System.Text.Json.</summary>
public sealed class SaslOptionsTests
{
    private const string EventHubs = "Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0LWtleQ==";

    private static List<string> Problems(KafkaClientOptions options) => KafkaClientOptionsValidator.Validate(options);

    [Test]
    public void A_mechanism_must_be_set()
    {
        var problems = Problems(new KafkaClientOptions { Sasl = new SaslConfig { Username = "u", Password = "p" } });
        Assert.That(problems, Is.EqualTo(new[] { "Sasl:Mechanism: must be set (Plain, ScramSha256, ScramSha512, OAuthBearer, Gssapi)." }));
    }

    [TestCase(SaslMechanism.Plain)]
    [TestCase(SaslMechanism.ScramSha256)]
    [TestCase(SaslMechanism.ScramSha512)]
    public void Password_mechanisms_need_a_user_and_a_password_and_no_token_provider(SaslMechanism mechanism)
    {
        var problems = Problems(new KafkaClientOptions
        {
            Sasl = new SaslConfig { Mechanism = mechanism, OAuthBearerTokenProvider = _ => default },
        });
        Assert.That(problems, Has.Count.EqualTo(3));
        Assert.That(problems[0], Does.StartWith("Sasl:Username: must be set"));
        Assert.That(problems[1], Does.StartWith("Sasl:Password: must be set"));
        Assert.That(problems[2], Does.StartWith("Sasl:OAuthBearerTokenProvider: is set but"));
    }

    [Test]
    public void OAuthBearer_needs_a_token_provider_and_no_password()
    {
        var problems = Problems(new KafkaClientOptions { Sasl = new SaslConfig { Mechanism = SaslMechanism.OAuthBearer, Password = "p" } });
        Assert.That(problems, Has.Count.EqualTo(2));
        Assert.That(problems[0], Does.StartWith("Sasl:OAuthBearerTokenProvider: must be set"));
        Assert.That(problems[1], Does.StartWith("Sasl:Password: is not used by OAuthBearer"));
        Assert.That(string.Join(" ", problems), Does.Not.Contain("p."));
    }

    [Test]
    public void Gssapi_takes_a_user_with_a_password_or_neither()
    {
        Assert.That(Problems(new KafkaClientOptions { Sasl = new SaslConfig { Mechanism = SaslMechanism.Gssapi } }), Is.Empty);
        Assert.That(Problems(new KafkaClientOptions { Sasl = new SaslConfig { Mechanism = SaslMechanism.Gssapi, Username = "alice", Password = "x" } }), Is.Empty);
        var problems = Problems(new KafkaClientOptions { Sasl = new SaslConfig { Mechanism = SaslMechanism.Gssapi, Password = "x", KerberosServiceName = " " } });
        Assert.That(problems, Has.Count.EqualTo(2));
        Assert.That(problems[0], Does.StartWith("Sasl:KerberosServiceName: must be set"));
        Assert.That(problems[1], Does.StartWith("Sasl:Password: is set but Sasl:Username is not"));
        Assert.That(Problems(new KafkaClientOptions { Sasl = new SaslConfig { Mechanism = SaslMechanism.Gssapi, Username = "alice" } }).Single(),
            Does.StartWith("Sasl:Username: is set but Sasl:Password is not"));
    }

    [Test]
    public void Plain_cannot_carry_a_NUL()
    {
        var problems = Problems(new KafkaClientOptions { Sasl = new SaslConfig { Mechanism = SaslMechanism.Plain, Username = "a\0b", Password = "p" } });
        Assert.That(problems.Single(), Does.StartWith("Sasl:Username: holds a NUL"));
    }

    [Test]
    public void SASL_problems_are_listed_with_the_others()
    {
        var error = Assert.Throws<ArgumentException>(() => new KafkaClient(new KafkaClientOptions
        {
            Hosts = "broker:abc",
            Sasl = new SaslConfig { Mechanism = SaslMechanism.ScramSha512, Username = "u" },
        }));
        Assert.That(error!.Message, Does.Contain("Hosts:").And.Contain("Sasl:Password: must be set for ScramSha512"));
    }

    [Test]
    public void An_Event_Hubs_connection_string_means_the_namespace_on_9093_TLS_and_PLAIN_as_ConnectionString()
    {
        using var client = new KafkaClient(new KafkaClientOptions { ConnectionString = EventHubs });

        Assert.That(client.Options.Hosts, Is.EqualTo("orders-ns.servicebus.windows.net:9093"));
        Assert.That(client.Options.Ssl, Is.Not.Null);
        Assert.That(client.Options.Ssl!.CaFile, Is.Null, "the system trust store");
        Assert.That(client.Options.Sasl!.Mechanism, Is.EqualTo(SaslMechanism.Plain));
        Assert.That(client.Options.Sasl.Username, Is.EqualTo("$ConnectionString"));
        Assert.That(client.Options.Sasl.Password, Is.EqualTo(EventHubs));
    }

    [TestCase("Endpoint=https://orders-ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0", "not an sb:// address")]
    [TestCase("SharedAccessKeyName=k;SharedAccessKey=c2VjcmV0", "has no Endpoint")]
    [TestCase("Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessKey=c2VjcmV0", "has no credentials")]
    [TestCase("just-a-secret-c2VjcmV0", "Name=value pairs")]
    public void A_bad_connection_string_is_named_without_quoting_its_key(string connectionString, string reason)
    {
        var problems = Problems(new KafkaClientOptions { ConnectionString = connectionString });
        Assert.That(problems.Single(), Does.StartWith("ConnectionString: ").And.Contain(reason));
        Assert.That(problems.Single(), Does.Not.Contain("c2VjcmV0"));
    }

    [Test]
    public void A_connection_string_with_other_hosts_or_SASL_is_a_conflict()
    {
        var problems = Problems(new KafkaClientOptions
        {
            ConnectionString = EventHubs,
            Hosts = "elsewhere:9092",
            Sasl = new SaslConfig { Mechanism = SaslMechanism.Plain, Username = "u", Password = "p" },
        });
        Assert.That(problems, Has.Count.EqualTo(2));
        Assert.That(problems[0], Does.StartWith("Sasl: is set, but ConnectionString"));
        Assert.That(problems[1], Does.StartWith("Hosts: is set to 'elsewhere:9092', but ConnectionString"));
    }

    [Test]
    public void Secrets_stay_out_of_ToString_and_of_System_Text_Json()
    {
        var options = new KafkaClientOptions
        {
            ConnectionString = EventHubs,
            Ssl = new SslConfig { CertFile = "/c.pem", KeyFile = "/k.pem", Password = "tls-key-secret" },
            Sasl = new SaslConfig
            {
                Mechanism = SaslMechanism.OAuthBearer,
                Username = "alice",
                Password = "sasl-secret",
                OAuthBearerTokenProvider = _ => default,
            },
        };

        var json = JsonSerializer.Serialize(options);
        var text = options.Ssl.ToString() + options.Sasl.ToString();

        TestContext.Out.WriteLine(json);
        foreach (var secret in new[] { "tls-key-secret", "sasl-secret", "c2VjcmV0LWtleQ", "SharedAccessKey" })
        {
            Assert.That(json, Does.Not.Contain(secret));
            Assert.That(text, Does.Not.Contain(secret));
        }
        Assert.That(json, Does.Contain("\"Username\":\"alice\"").And.Contain("\"CertFile\":\"/c.pem\""), "the rest is serialized");
        Assert.That(options.Sasl.ToString(), Is.EqualTo("SaslConfig { Mechanism = OAuthBearer, Username = alice, Password = ***, OAuthBearerTokenProvider = (set) }"));
    }

    [Test]
    public void Clone_copies_the_SASL_settings()
    {
        var options = new KafkaClientOptions { Sasl = new SaslConfig { Mechanism = SaslMechanism.Plain, Username = "a", Password = "p" } };
        var copy = options.Clone();
        options.Sasl.Username = "changed";
        Assert.That(copy.Sasl!.Username, Is.EqualTo("a"));
    }
}
