using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kafka.Testing;

/// <summary>
/// Certificates for TLS tests, made at run time with <see cref="CertificateRequest"/> and written as PEM files to a
/// temporary directory: a CA, a second CA that signed nothing the others trust, a server certificate for
/// <c>localhost</c>/<c>127.0.0.1</c>/<c>::1</c>, an expired one, one for another host, and a client certificate.
/// Each has its certificate file, an unencrypted key file and a key file encrypted with <see cref="Password"/>.
/// Disposing deletes the directory.
/// </summary>
/// <example>
/// <code>
/// using var certificates = TestCertificates.Create();
/// await using var proxy = new TlsProxy("127.0.0.1", brokerPort, new TlsProxyOptions { ServerCertificate = certificates.Server.Certificate });
/// var ssl = new SslConfig { CaFile = certificates.Authority.CertFile };
/// </code>
/// </example>
public sealed class TestCertificates : IDisposable
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private readonly List<TestCertificate> _issued = [];
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    private TestCertificates(string directory, string password)
    {
        Directory = directory;
        Password = password;
        Authority = CreateAuthority("ca");
        OtherAuthority = CreateAuthority("other-ca");
        Server = IssueServer("server", ["localhost", "127.0.0.1", "::1"]);
        ExpiredServer = IssueServer("expired-server", ["localhost", "127.0.0.1", "::1"], _now.AddDays(-30), _now.AddDays(-1));
        WrongHostServer = IssueServer("wrong-host-server", ["broker.wrong-host.invalid"]);
        Client = IssueClient("client");
    }

    /// <summary>Makes the certificates in a new temporary directory.</summary>
    /// <param name="password">The password of the encrypted key files; a random one by default.</param>
    public static TestCertificates Create(string? password = null)
    {
        var directory = Path.Combine(Path.GetTempPath(), "kafka-tls-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        try
        {
            return new TestCertificates(directory, password ?? "pw-" + Guid.NewGuid().ToString("N"));
        }
        catch
        {
            System.IO.Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Where the PEM files are.</summary>
    public string Directory { get; }

    /// <summary>The password of every <see cref="TestCertificate.EncryptedKeyFile"/>.</summary>
    public string Password { get; }

    /// <summary>The CA that signed <see cref="Server"/>, <see cref="ExpiredServer"/>, <see cref="WrongHostServer"/> and <see cref="Client"/>.</summary>
    public TestCertificate Authority { get; }

    /// <summary>A CA that signed none of the others: trusting only it rejects them all.</summary>
    public TestCertificate OtherAuthority { get; }

    /// <summary>A server certificate for <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c>, valid now.</summary>
    public TestCertificate Server { get; }

    /// <summary>A server certificate for the same names that expired yesterday.</summary>
    public TestCertificate ExpiredServer { get; }

    /// <summary>A server certificate valid now but only for <c>broker.wrong-host.invalid</c>.</summary>
    public TestCertificate WrongHostServer { get; }

    /// <summary>A client certificate (<c>CN=client</c>, client authentication) signed by <see cref="Authority"/>.</summary>
    public TestCertificate Client { get; }

    /// <summary>Makes a self-signed CA certificate.</summary>
    /// <param name="name">The file name stem and common name.</param>
    public TestCertificate CreateAuthority(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Kafka.Testing {name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var certificate = request.CreateSelfSigned(_now.AddYears(-1), _now.AddYears(10));
        return Save(name, certificate, key);
    }

    /// <summary>Issues a server certificate (server authentication) for <paramref name="hosts"/>.</summary>
    /// <param name="name">The file name stem.</param>
    /// <param name="hosts">DNS names and IP addresses it is for; the first is also its common name.</param>
    /// <param name="notBefore">Start of validity; a day ago by default.</param>
    /// <param name="notAfter">End of validity; a year from now by default.</param>
    /// <param name="issuer">The CA that signs it; <see cref="Authority"/> by default.</param>
    /// <param name="algorithm">Its key type.</param>
    public TestCertificate IssueServer(string name, IReadOnlyList<string> hosts, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null,
        TestCertificate? issuer = null, TestKeyAlgorithm algorithm = TestKeyAlgorithm.EcdsaP256)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentOutOfRangeException.ThrowIfZero(hosts.Count);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts)
        {
            if (IPAddress.TryParse(host, out var ip))
            {
                names.AddIpAddress(ip);
            }
            else
            {
                names.AddDnsName(host);
            }
        }
        return Issue(name, $"CN={hosts[0]}", ServerAuth, names.Build(), notBefore, notAfter, issuer, algorithm);
    }

    /// <summary>Issues a client certificate (client authentication).</summary>
    /// <param name="name">The file name stem and common name.</param>
    /// <param name="issuer">The CA that signs it; <see cref="Authority"/> by default.</param>
    /// <param name="algorithm">Its key type.</param>
    /// <param name="notBefore">Start of validity; a day ago by default.</param>
    /// <param name="notAfter">End of validity; a year from now by default.</param>
    public TestCertificate IssueClient(string name, TestCertificate? issuer = null, TestKeyAlgorithm algorithm = TestKeyAlgorithm.EcdsaP256,
        DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null) =>
        Issue(name, $"CN={name}", ClientAuth, alternativeNames: null, notBefore, notAfter, issuer, algorithm);

    private TestCertificate Issue(string name, string subject, string usage, X509Extension? alternativeNames,
        DateTimeOffset? notBefore, DateTimeOffset? notAfter, TestCertificate? issuer, TestKeyAlgorithm algorithm)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var ca = (issuer ?? Authority).Certificate;
        using AsymmetricAlgorithm key = algorithm == TestKeyAlgorithm.Rsa2048 ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA rsa
            ? new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            key is RSA ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (alternativeNames is not null)
        {
            request.CertificateExtensions.Add(alternativeNames);
        }

        // An issued certificate must lie within its issuer's validity.
        var from = Max(notBefore ?? _now.AddDays(-1), new DateTimeOffset(ca.NotBefore.ToUniversalTime(), TimeSpan.Zero));
        var to = Min(notAfter ?? _now.AddYears(1), new DateTimeOffset(ca.NotAfter.ToUniversalTime(), TimeSpan.Zero));
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        // The issuer's own key signs, whatever the new key's type (Create(issuer, ...) insists they match).
        using var caKey = (AsymmetricAlgorithm?)ca.GetECDsaPrivateKey() ?? ca.GetRSAPrivateKey()
            ?? throw new ArgumentException("The issuer has no ECDSA or RSA private key.", nameof(issuer));
        var signer = caKey is ECDsa ecdsaSigner
            ? X509SignatureGenerator.CreateForECDsa(ecdsaSigner)
            : X509SignatureGenerator.CreateForRSA((RSA)caKey, RSASignaturePadding.Pkcs1);
        using var issued = request.Create(ca.SubjectName, signer, from, to, serial);
        var certificate = key is RSA r ? issued.CopyWithPrivateKey(r) : issued.CopyWithPrivateKey((ECDsa)key);
        return Save(name, certificate, key);
    }

    private TestCertificate Save(string name, X509Certificate2 certificate, AsymmetricAlgorithm key)
    {
        if (OperatingSystem.IsWindows())
        {
            // SChannel cannot use ephemeral keys; a PKCS#12 round trip persists the key.
            using var ephemeral = certificate;
            certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
        }
        var certFile = Path.Combine(Directory, name + ".pem");
        var keyFile = Path.Combine(Directory, name + ".key");
        var encryptedKeyFile = Path.Combine(Directory, name + ".encrypted.key");
        File.WriteAllText(certFile, certificate.ExportCertificatePem() + "\n");
        WriteSecret(keyFile, key.ExportPkcs8PrivateKeyPem() + "\n");
        WriteSecret(encryptedKeyFile, key.ExportEncryptedPkcs8PrivateKeyPem(Password,
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, iterationCount: 10_000)) + "\n");
        var result = new TestCertificate(name, certificate, certFile, keyFile, encryptedKeyFile);
        _issued.Add(result);
        return result;
    }

    private static void WriteSecret(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>Releases the certificates and deletes the directory.</summary>
    public void Dispose()
    {
        foreach (var certificate in _issued)
        {
            certificate.Dispose();
        }
        _issued.Clear();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Already gone, or a file still open elsewhere: the temporary directory is cleaned up by the system.
        }
    }
}
