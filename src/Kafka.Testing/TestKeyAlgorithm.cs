namespace Kafka.Testing;

/// <summary>The key type of a certificate <see cref="TestCertificates"/> issues.</summary>
public enum TestKeyAlgorithm
{
    /// <summary>ECDSA on NIST P-256: fast to generate; the default.</summary>
    EcdsaP256,

    /// <summary>RSA, 2048 bits.</summary>
    Rsa2048,
}
