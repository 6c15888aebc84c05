using Kafka.Client.Tests.Sasl;

/// <summary>
/// Runs before every test of the assembly. The Kerberos KDC is started here, not on first use, because pointing this
/// process's Kerberos at it sets <c>KRB5_CONFIG</c> with libc's <c>setenv</c>, which is not safe while native threads
/// (librdkafka's, Cyrus SASL's) may read the environment: once other tests are running it can crash the process.
/// </summary>
[SetUpFixture]
public sealed class ProcessEnvironment
{
    [OneTimeSetUp]
    public async Task StartKerberosBeforeAnyNativeThread()
    {
        try
        {
            await SaslEnvironment.KerberosAsync();
        }
        catch (Exception ex)
        {
            // Only the GSSAPI tests need it: they fail with this error when they ask for the KDC, the others run.
            await TestContext.Progress.WriteLineAsync($"The Kerberos KDC did not start: {ex.Message}");
        }
    }
}
