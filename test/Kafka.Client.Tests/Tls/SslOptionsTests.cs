using System.Security.Cryptography.X509Certificates;
using Kafka.Client.Internal;
using Kafka.Testing;

namespace Kafka.Client.Tests.Tls;

/// <summary>The Ssl section's validation: every problem named by its configuration key, never the password.</summary>
[TestFixture]
[Parallelizable(ParallelScope.Children)]
public sealed class SslOptionsTests
{
    private static TestCertificates Certs => TlsEnvironment.Certificates;

    private static List<string> Validate(SslConfig ssl) => KafkaClientOptionsValidator.Validate(new KafkaClientOptions { Ssl = ssl });

    private static string Missing => Path.Combine(Certs.Directory, "missing.pem");

    private static string WriteFile(string name, string text)
    {
        var path = Path.Combine(Certs.Directory, $"{Guid.NewGuid():N}-{name}");
        File.WriteAllText(path, text);
        return path;
    }

    [Test]
    public void No_Ssl_means_plaintext_and_nothing_to_check()
    {
        Assert.That(new KafkaClientOptions().Ssl, Is.Null);
        Assert.That(KafkaClientOptionsValidator.Validate(new KafkaClientOptions()), Is.Empty);
    }

    [Test]
    public void An_empty_Ssl_section_is_valid_and_trusts_the_system_store()
    {
        var ssl = new SslConfig { CaFile = "", CertFile = " " };

        Assert.That(Validate(ssl), Is.Empty);
        Assert.That(ssl.CheckHostname, Is.True, "host names are checked by default");
    }

    [Test]
    public void A_complete_mutual_TLS_section_is_valid()
    {
        Assert.That(Validate(new SslConfig { CaFile = Certs.Authority.CertFile, CertFile = Certs.Client.CertFile, KeyFile = Certs.Client.KeyFile }), Is.Empty);
        Assert.That(Validate(new SslConfig { CertFile = Certs.Client.CertFile, KeyFile = Certs.Client.EncryptedKeyFile, Password = Certs.Password }), Is.Empty);
    }

    [Test]
    public void A_missing_CA_file_is_named_with_its_key_and_path()
    {
        var errors = Validate(new SslConfig { CaFile = Missing });

        Assert.That(errors, Is.EqualTo(new[] { $"Ssl:CaFile: the file '{Missing}' does not exist." }));
    }

    [Test]
    public void An_unreadable_CA_file_is_reported()
    {
        // A directory cannot be read as a file (tests may run as root, for whom file modes do not stop reading).
        var errors = Validate(new SslConfig { CaFile = Certs.Directory });

        Assert.That(errors, Has.One.StartsWith("Ssl:CaFile:").And.Contains("cannot be read"));
    }

    [Test]
    public void A_CA_file_without_certificates_is_reported()
    {
        var errors = Validate(new SslConfig { CaFile = Certs.Authority.KeyFile });

        Assert.That(errors, Has.One.StartsWith("Ssl:CaFile:").And.Contains("holds no PEM certificate"));
    }

    [Test]
    public void A_CA_file_with_a_damaged_certificate_is_reported()
    {
        var damaged = WriteFile("damaged.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        var errors = Validate(new SslConfig { CaFile = damaged });

        Assert.That(errors, Has.One.StartsWith("Ssl:CaFile:").And.Contains("not a valid X.509 certificate"));
    }

    [Test]
    public void A_CA_file_of_only_intermediates_is_reported()
    {
        var errors = Validate(new SslConfig { CaFile = Certs.Server.CertFile });

        Assert.That(errors, Has.One.StartsWith("Ssl:CaFile:").And.Contains("no root (self-signed) CA certificate"));
    }

    [Test]
    public void A_missing_certificate_or_key_file_is_named()
    {
        Assert.That(Validate(new SslConfig { CertFile = Missing, KeyFile = Certs.Client.KeyFile }),
            Is.EqualTo(new[] { $"Ssl:CertFile: the file '{Missing}' does not exist." }));
        Assert.That(Validate(new SslConfig { CertFile = Certs.Client.CertFile, KeyFile = Missing }),
            Is.EqualTo(new[] { $"Ssl:KeyFile: the file '{Missing}' does not exist." }));
    }

    [Test]
    public void Both_missing_files_are_named_not_only_the_certificate()
    {
        var missingKey = Path.Combine(Certs.Directory, "missing.key");

        Assert.That(Validate(new SslConfig { CertFile = Missing, KeyFile = missingKey }), Is.EqualTo(new[]
        {
            $"Ssl:CertFile: the file '{Missing}' does not exist.",
            $"Ssl:KeyFile: the file '{missingKey}' does not exist.",
        }));
    }

    [Test]
    public void A_key_file_without_a_key_is_named_even_when_the_certificate_is_unusable()
    {
        var errors = Validate(new SslConfig { CertFile = Missing, KeyFile = Certs.Client.CertFile });

        Assert.That(errors, Has.Count.EqualTo(2));
        Assert.That(errors, Has.One.StartsWith("Ssl:CertFile:").And.Contains("does not exist"));
        Assert.That(errors, Has.One.StartsWith("Ssl:KeyFile:").And.Contains("holds no PEM private key"));
    }

    [Test]
    public void A_key_without_a_certificate_is_reported()
    {
        var errors = Validate(new SslConfig { KeyFile = Certs.Client.KeyFile });

        Assert.That(errors, Has.One.StartsWith("Ssl:KeyFile:").And.Contains("Ssl:CertFile is not"));
    }

    [Test]
    public void A_password_without_a_key_is_reported_without_the_password()
    {
        var errors = Validate(new SslConfig { Password = "secret-without-key" });

        Assert.That(errors, Has.One.StartsWith("Ssl:Password:").And.Contains("no private key"));
        Assert.That(string.Join("\n", errors), Does.Not.Contain("secret-without-key"));
    }

    [Test]
    public void The_key_may_be_in_the_certificate_file()
    {
        var combined = WriteFile("combined.pem", File.ReadAllText(Certs.Client.CertFile) + File.ReadAllText(Certs.Client.KeyFile));

        Assert.That(Validate(new SslConfig { CertFile = combined }), Is.Empty);
    }

    [Test]
    public void A_certificate_file_without_a_key_and_no_key_file_is_reported()
    {
        var errors = Validate(new SslConfig { CertFile = Certs.Client.CertFile });

        Assert.That(errors, Has.One.StartsWith("Ssl:KeyFile:").And.Contains("holds no private key"));
    }

    [Test]
    public void A_key_file_without_a_key_is_reported()
    {
        var errors = Validate(new SslConfig { CertFile = Certs.Client.CertFile, KeyFile = Certs.Client.CertFile });

        Assert.That(errors, Has.One.StartsWith("Ssl:KeyFile:").And.Contains("holds no PEM private key"));
    }

    [Test]
    public void A_key_that_belongs_to_another_certificate_is_reported()
    {
        var errors = Validate(new SslConfig { CertFile = Certs.Client.CertFile, KeyFile = Certs.Server.KeyFile });

        Assert.That(errors, Is.EqualTo(new[]
        {
            $"Ssl:KeyFile: the private key in '{Certs.Server.KeyFile}' does not belong to the certificate in '{Certs.Client.CertFile}'.",
        }));
    }

    [Test]
    public void A_key_of_another_algorithm_is_reported_as_not_belonging()
    {
        using var rsaClient = Certs.IssueClient("rsa-mismatch", algorithm: TestKeyAlgorithm.Rsa2048);

        var errors = Validate(new SslConfig { CertFile = Certs.Client.CertFile, KeyFile = rsaClient.KeyFile });

        Assert.That(errors, Has.One.StartsWith("Ssl:KeyFile:").And.Contains("does not belong to the certificate"));
    }

    [Test]
    public void An_encrypted_key_without_a_password_is_reported()
    {
        var errors = Validate(new SslConfig { CertFile = Certs.Client.CertFile, KeyFile = Certs.Client.EncryptedKeyFile });

        Assert.That(errors, Has.One.StartsWith("Ssl:Password:").And.Contains("is encrypted and no password is set"));
    }

    [Test]
    public void A_wrong_password_is_reported_by_key_never_by_value()
    {
        const string wrong = "wrong-password-value";

        var errors = Validate(new SslConfig { CertFile = Certs.Client.CertFile, KeyFile = Certs.Client.EncryptedKeyFile, Password = wrong });

        Assert.That(errors, Has.One.StartsWith("Ssl:Password: does not decrypt the private key"));
        Assert.That(string.Join("\n", errors), Does.Not.Contain(wrong).And.Not.Contain(Certs.Password));
    }

    [Test]
    public void PKCS1_RSA_and_SEC1_EC_keys_are_read()
    {
        using var rsaClient = Certs.IssueClient("rsa-formats", algorithm: TestKeyAlgorithm.Rsa2048);
        using var rsaKey = rsaClient.Certificate.GetRSAPrivateKey()!;
        using var ecKey = Certs.Client.Certificate.GetECDsaPrivateKey()!;
        var pkcs1 = WriteFile("pkcs1.key", rsaKey.ExportRSAPrivateKeyPem());
        var sec1 = WriteFile("sec1.key", ecKey.ExportECPrivateKeyPem());

        Assert.That(Validate(new SslConfig { CertFile = rsaClient.CertFile, KeyFile = pkcs1 }), Is.Empty);
        Assert.That(Validate(new SslConfig { CertFile = Certs.Client.CertFile, KeyFile = sec1 }), Is.Empty);
        Assert.That(Validate(new SslConfig { CertFile = rsaClient.CertFile, KeyFile = rsaClient.EncryptedKeyFile, Password = Certs.Password }), Is.Empty);
    }

    [Test]
    public void A_legacy_OpenSSL_encrypted_key_gets_a_conversion_hint()
    {
        var legacy = WriteFile("legacy.key",
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n-----END RSA PRIVATE KEY-----\n");

        var errors = Validate(new SslConfig { CertFile = Certs.Client.CertFile, KeyFile = legacy, Password = "x" });

        Assert.That(errors, Has.One.StartsWith("Ssl:KeyFile:").And.Contains("openssl pkcs8 -topk8"));
    }

    [Test]
    public void Every_Ssl_problem_is_listed_with_the_other_options_problems()
    {
        var options = new KafkaClientOptions
        {
            SocketTimeout = TimeSpan.Zero,
            Ssl = new SslConfig { CaFile = Missing, CertFile = Certs.Client.CertFile, KeyFile = Certs.Client.EncryptedKeyFile },
        };

        var errors = KafkaClientOptionsValidator.Validate(options);

        Assert.That(errors, Has.Some.StartsWith("SocketTimeout:"));
        Assert.That(errors, Has.Some.StartsWith("Ssl:CaFile:"));
        Assert.That(errors, Has.Some.StartsWith("Ssl:Password:"));
        Assert.That(errors, Has.Count.EqualTo(3));
    }

    [Test]
    public void The_client_constructor_refuses_invalid_Ssl_naming_the_key()
    {
        var error = Assert.Throws<ArgumentException>(() => new KafkaClient(new KafkaClientOptions { Ssl = new SslConfig { CaFile = Missing } }));

        Assert.That(error!.Message, Does.Contain("Ssl:CaFile:").And.Contain(Missing));
    }

    [Test]
    public void ToString_shows_the_files_and_hides_the_password()
    {
        var ssl = new SslConfig { CaFile = "/ca.pem", CertFile = "/c.pem", KeyFile = "/c.key", Password = "hunter2", CheckHostname = false };

        Assert.That(ssl.ToString(), Is.EqualTo("SslConfig { CaFile = /ca.pem, CertFile = /c.pem, KeyFile = /c.key, Password = ***, CheckHostname = false }"));
        Assert.That(new SslConfig().ToString(), Is.EqualTo("SslConfig { CaFile = (system trust store), CheckHostname = true }"));
        Assert.That(new SslConfig { CaFile = "", Password = "" }.ToString(), Is.EqualTo("SslConfig { CaFile = (system trust store), CheckHostname = true }"));
    }

    [Test]
    public void Cloned_options_do_not_share_the_Ssl_section()
    {
        var options = new KafkaClientOptions { Ssl = new SslConfig { CaFile = "/a.pem" } };

        var copy = options.Clone();
        options.Ssl.CaFile = "/b.pem";

        Assert.That(copy.Ssl, Is.Not.SameAs(options.Ssl));
        Assert.That(copy.Ssl!.CaFile, Is.EqualTo("/a.pem"));
    }

    [Test]
    public async Task An_expired_client_certificate_is_judged_by_the_clients_clock()
    {
        var ssl = new SslConfig { CaFile = Certs.Authority.CertFile, CertFile = Certs.Client.CertFile, KeyFile = Certs.Client.KeyFile };
        var now = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var later = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddYears(2)); // the certificate is valid for one
        var nowLogs = new Support.CapturingLoggerFactory();
        var laterLogs = new Support.CapturingLoggerFactory();

        await using (new KafkaClient(new KafkaClientOptions { Ssl = ssl }, nowLogs, now))
        {
        }
        await using (new KafkaClient(new KafkaClientOptions { Ssl = ssl }, laterLogs, later))
        {
        }

        Assert.That(nowLogs.Entries, Has.None.Contains("expired on"));
        Assert.That(laterLogs.Entries, Has.Some.StartsWith("Warning Kafka.Client.Tls").And.Contains("expired on"));
    }
}
