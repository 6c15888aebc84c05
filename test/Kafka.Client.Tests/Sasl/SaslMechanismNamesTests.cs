namespace Kafka.Client.Tests.Sasl;

/// <summary>Kafka's spelling of the mechanisms (what other clients' <c>sasl.mechanism</c> holds) and the enum's.</summary>
[TestFixture]
public sealed class SaslMechanismNamesTests
{
    [TestCase(SaslMechanism.Plain, "PLAIN")]
    [TestCase(SaslMechanism.ScramSha256, "SCRAM-SHA-256")]
    [TestCase(SaslMechanism.ScramSha512, "SCRAM-SHA-512")]
    [TestCase(SaslMechanism.OAuthBearer, "OAUTHBEARER")]
    [TestCase(SaslMechanism.Gssapi, "GSSAPI")]
    public void Each_mechanism_reads_from_either_name_in_any_case(SaslMechanism mechanism, string kafkaName)
    {
        Assert.That(SaslMechanismNames.ToKafkaName(mechanism), Is.EqualTo(kafkaName));
        foreach (var name in new[] { kafkaName, kafkaName.ToLowerInvariant(), mechanism.ToString(), $" {kafkaName} " })
        {
            Assert.That(SaslMechanismNames.TryParse(name, out var parsed), Is.True, name);
            Assert.That(parsed, Is.EqualTo(mechanism), name);
        }
        Assert.That(SaslMechanismNames.All, Does.Contain(kafkaName));
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("SCRAM-SHA-1")]
    [TestCase("3")]
    public void Other_names_are_not_mechanisms(string? name)
    {
        Assert.That(SaslMechanismNames.TryParse(name, out _), Is.False);
    }

    [Test]
    public void An_undefined_value_has_no_name()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SaslMechanismNames.ToKafkaName((SaslMechanism)99));
    }
}
