using Kafka.Testing;

namespace Kafka.Client.Tests.Sasl;

/// <summary>
/// What the SASL tests share, made once: TLS certificates for SASL over TLS, and a Kerberos KDC (started before any test
/// by <see cref="ProcessEnvironment"/>) with user alice and the brokers' principal kafka/localhost.
/// </summary>
[SetUpFixture]
public sealed class SaslEnvironment
{
    public const string KerberosUser = "alice";
    public const string KerberosPassword = "alice-Kerb3ros";
    public const string KerberosHost = "localhost";

    private static TestCertificates? _certificates;
    private static readonly Lazy<Task<KerberosKdc>> Kdc = new(StartKdcAsync, LazyThreadSafetyMode.ExecutionAndPublication);

    public static TestCertificates Certificates => _certificates ?? throw new InvalidOperationException("The SASL set-up fixture has not run.");

    /// <summary>The KDC, started on first use and used by Kerberos everywhere in this process.</summary>
    public static Task<KerberosKdc> KerberosAsync() => Kdc.Value;

    [OneTimeSetUp]
    public void CreateCertificates() => _certificates = TestCertificates.Create();

    [OneTimeTearDown]
    public async Task TearDown()
    {
        _certificates?.Dispose();
        if (Kdc.IsValueCreated)
        {
            await (await Kdc.Value).DisposeAsync();
        }
    }

    private static async Task<KerberosKdc> StartKdcAsync()
    {
        var kdc = await KerberosKdc.StartAsync();
        kdc.UseForThisProcess();
        await kdc.AddUserAsync(KerberosUser, KerberosPassword);
        await kdc.AddServiceAsync("kafka", KerberosHost);
        return kdc;
    }
}
