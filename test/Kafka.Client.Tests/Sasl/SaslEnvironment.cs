using Kafka.Testing;

namespace Kafka.Client.Tests.Sasl;

/// <summary>What the SASL tests share, made once: TLS certificates for SASL over TLS.</summary>
[SetUpFixture]
public sealed class SaslEnvironment
{
    private static TestCertificates? _certificates;

    public static TestCertificates Certificates => _certificates ?? throw new InvalidOperationException("The SASL set-up fixture has not run.");

    [OneTimeSetUp]
    public void CreateCertificates() => _certificates = TestCertificates.Create();

    [OneTimeTearDown]
    public void DeleteCertificates() => _certificates?.Dispose();
}
