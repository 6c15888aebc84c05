using System.Security.Cryptography.X509Certificates;

namespace Kafka.Testing;

/// <summary>
/// A certificate made by <see cref="TestCertificates"/>, with its private key, and the PEM files it was written to.
/// </summary>
public sealed class TestCertificate : IDisposable
{
    internal TestCertificate(string name, X509Certificate2 certificate, string certFile, string keyFile, string encryptedKeyFile)
    {
        Name = name;
        Certificate = certificate;
        CertFile = certFile;
        KeyFile = keyFile;
        EncryptedKeyFile = encryptedKeyFile;
    }

    /// <summary>The name its files are called after (<c>server</c> gives <c>server.pem</c>, <c>server.key</c>, ...).</summary>
    public string Name { get; }

    /// <summary>The certificate, with its private key (usable as a TLS server or client certificate).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificate as PEM (<c>-----BEGIN CERTIFICATE-----</c>): a CA file, or a client's certificate file.</summary>
    public string CertFile { get; }

    /// <summary>The private key as unencrypted PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>).</summary>
    public string KeyFile { get; }

    /// <summary>
    /// The private key as encrypted PKCS#8 PEM (<c>-----BEGIN ENCRYPTED PRIVATE KEY-----</c>, AES-256-CBC), with
    /// <see cref="TestCertificates.Password"/>.
    /// </summary>
    public string EncryptedKeyFile { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Certificate.Subject} ({CertFile})";

    /// <summary>Releases the certificate (the files stay until <see cref="TestCertificates"/> is disposed).</summary>
    public void Dispose() => Certificate.Dispose();
}
