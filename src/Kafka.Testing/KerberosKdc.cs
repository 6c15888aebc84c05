using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kafka.Testing.Internal;

namespace Kafka.Testing;

/// <summary>
/// A real MIT Kerberos KDC for tests (Debian's <c>krb5-kdc</c>), on a free loopback port with its database, keytabs and
/// configuration in a temporary folder. It makes users (with passwords) and service principals (with their keys in
/// <see cref="ServiceKeytabPath"/>, the default keytab of its configuration, so a GSSAPI server in the process accepts
/// them), and gets tickets for tools that read a ticket cache.
/// </summary>
/// <remarks>
/// <para>
/// Kerberos libraries find the KDC through <see cref="ConfigurationPath"/>: hand <see cref="Environment"/> to child
/// processes, and call <see cref="UseForThisProcess"/> once so that GSS-API in this process (the client's
/// <c>NegotiateAuthentication</c>, Cyrus SASL's GSSAPI server in <see cref="SaslProxy"/>) uses it. Host names are taken
/// as written (no DNS canonicalization): the broker's principal is <c>service/host</c> for the host clients connect to.
/// </para>
/// <para>
/// Needs Debian's <c>krb5-kdc</c>, <c>krb5-admin-server</c> (for <c>kadmin.local</c>) and <c>krb5-user</c> (for
/// <c>kinit</c>); <c>build/setup.sh</c> installs them. Starting takes a fraction of a second. Disposal stops the KDC and
/// deletes the folder.
/// </para>
/// <code>
/// await using var kdc = await KerberosKdc.StartAsync();
/// kdc.UseForThisProcess();
/// await kdc.AddUserAsync("alice", "alice-secret");
/// await kdc.AddServiceAsync("kafka", "localhost");
/// </code>
/// </remarks>
public sealed class KerberosKdc : IAsyncDisposable
{
    /// <summary>The realm the KDC serves unless told otherwise.</summary>
    public const string DefaultRealm = "KAFKA.TEST";

    private const string SbinDirectory = "/usr/sbin";

    private readonly SemaphoreSlim _admin = new(1, 1);
    private Process? _process;
    private bool _disposed;

    private KerberosKdc(string realm)
    {
        Realm = realm;
        RootDirectory = Path.Combine(Path.GetTempPath(), "kafka-testing-kdc-" + Guid.NewGuid().ToString("N")[..12]);
        ConfigurationPath = Path.Combine(RootDirectory, "krb5.conf");
        ServiceKeytabPath = Path.Combine(RootDirectory, "service.keytab");
    }

    /// <summary>The realm, such as <c>KAFKA.TEST</c>.</summary>
    public string Realm { get; }

    /// <summary>The loopback port the KDC answers on (TCP and UDP).</summary>
    public int Port { get; private set; }

    /// <summary>The temporary folder of the database, keytabs, tickets, configuration and the KDC's log.</summary>
    public string RootDirectory { get; }

    /// <summary>The Kerberos configuration (krb5.conf) naming this KDC for <see cref="Realm"/>.</summary>
    public string ConfigurationPath { get; }

    /// <summary>The keytab of the service principals (<see cref="AddServiceAsync"/>): the configuration's default keytab.</summary>
    public string ServiceKeytabPath { get; }

    /// <summary>The environment a Kerberos program needs to use this KDC (<c>KRB5_CONFIG</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["KRB5_CONFIG"] = ConfigurationPath };

    /// <summary>Creates the realm's database and starts the KDC; returns once it accepts connections.</summary>
    /// <exception cref="InvalidOperationException">The Kerberos tools are missing, or the KDC did not start.</exception>
    public static async Task<KerberosKdc> StartAsync(string realm = DefaultRealm, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(realm);
        var kdc = new KerberosKdc(realm);
        try
        {
            await kdc.LaunchAsync(cancellationToken).ConfigureAwait(false);
            return kdc;
        }
        catch
        {
            await kdc.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Adds a user principal (<c>name@REALM</c>) with a password.</summary>
    public Task AddUserAsync(string name, string password, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrEmpty(password);
        return AdminAsync($"addprinc -pw \"{password}\" {name}", cancellationToken);
    }

    /// <summary>Adds the service principal <c>service/host@REALM</c> and writes its keys to <see cref="ServiceKeytabPath"/>.</summary>
    public async Task AddServiceAsync(string service, string host, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        await AdminAsync($"addprinc -randkey {service}/{host}", cancellationToken).ConfigureAwait(false);
        await AdminAsync($"ktadd -k {ServiceKeytabPath} {service}/{host}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The configuration's default ticket cache (<c>FILE:path</c>): where programs without <c>KRB5CCNAME</c> look.</summary>
    public string DefaultTicketCache => "FILE:" + Path.Combine(RootDirectory, "ccache");

    /// <summary>
    /// Gets a ticket-granting ticket for a user (as <c>kinit</c> does) into a new ticket cache, or into
    /// <see cref="DefaultTicketCache"/>; returns the cache (<c>FILE:path</c>, for <c>KRB5CCNAME</c>).
    /// </summary>
    public async Task<string> KinitAsync(string name, string password, bool defaultCache = false, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var cache = defaultCache ? DefaultTicketCache : "FILE:" + Path.Combine(RootDirectory, $"ccache-{name}-{Guid.NewGuid():N}");
        var environment = new Dictionary<string, string>(Environment) { ["KRB5CCNAME"] = cache };
        await RunAsync(Tool("/usr/bin", "kinit", "krb5-user"), [name], password + "\n", environment, cancellationToken).ConfigureAwait(false);
        return cache;
    }

    /// <summary>
    /// Points Kerberos in this process at this KDC (<c>KRB5_CONFIG</c>, set for native code too). A process has one
    /// Kerberos configuration: use one KDC per test run.
    /// </summary>
    public void UseForThisProcess() => NativeEnvironment.Set("KRB5_CONFIG", ConfigurationPath);

    /// <summary>The last lines of the KDC's log (which requests it answered and refused).</summary>
    public string LogTail()
    {
        var log = Path.Combine(RootDirectory, "kdc.log");
        if (!File.Exists(log))
        {
            return "(no log)";
        }
        var lines = File.ReadAllLines(log);
        return string.Join(System.Environment.NewLine, lines.AsSpan(Math.Max(0, lines.Length - 20)).ToArray());
    }

    /// <summary>Stops the KDC and deletes its folder. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (_process is { } process)
        {
            LocalServers.Kill(process);
            await process.WaitForExitAsync().ConfigureAwait(false);
            LocalServers.Forget(process);
            process.Dispose();
            _process = null;
        }
        try
        {
            Directory.Delete(RootDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        var krb5kdc = Tool(SbinDirectory, "krb5kdc", "krb5-kdc");
        Directory.CreateDirectory(RootDirectory);
        for (var attempt = 1; ; attempt++)
        {
            // A free port can be taken between choosing it and the KDC binding it: try another.
            Port = LocalServers.FreeLoopbackPort();
            await File.WriteAllTextAsync(ConfigurationPath, ClientConfiguration(), cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(RootDirectory, "kdc.conf"), KdcConfiguration(), cancellationToken).ConfigureAwait(false);
            if (attempt == 1)
            {
                await File.WriteAllTextAsync(Path.Combine(RootDirectory, "kadm5.acl"), string.Empty, cancellationToken).ConfigureAwait(false);
                await RunAsync(Tool(SbinDirectory, "kdb5_util", "krb5-kdc"), ["create", "-s", "-r", Realm, "-P", "kafka-testing-master"], null, KdcEnvironment(), cancellationToken)
                    .ConfigureAwait(false);
            }
            var start = new ProcessStartInfo(krb5kdc)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = RootDirectory,
            };
            start.ArgumentList.Add("-n"); // in the foreground, so this process owns it
            start.ArgumentList.Add("-r");
            start.ArgumentList.Add(Realm);
            foreach (var (name, value) in KdcEnvironment())
            {
                start.Environment[name] = value;
            }
            var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {krb5kdc}.");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
            LocalServers.KillOnExit(process);
            if (await WaitUntilListeningAsync(process, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
            LocalServers.Forget(process);
            process.Dispose();
            _process = null;
            if (attempt >= 3)
            {
                throw new InvalidOperationException($"The KDC exited while starting on port {Port}.{System.Environment.NewLine}{LogTail()}");
            }
        }
    }

    private async Task<bool> WaitUntilListeningAsync(Process process, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                return false;
            }
            try
            {
                using var probe = new TcpClient(AddressFamily.InterNetwork);
                await probe.ConnectAsync(IPAddress.Loopback, Port, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (SocketException) when (watch.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task AdminAsync(string command, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _admin.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await RunAsync(Tool(SbinDirectory, "kadmin.local", "krb5-admin-server"), ["-r", Realm, "-q", command], null, KdcEnvironment(), cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            _admin.Release();
        }
    }

    private Dictionary<string, string> KdcEnvironment() => new(Environment) { ["KRB5_KDC_PROFILE"] = Path.Combine(RootDirectory, "kdc.conf") };

    private static async Task RunAsync(string tool, IEnumerable<string> arguments, string? input, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(tool)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {tool}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        process.StandardInput.Close();
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var text = await output.ConfigureAwait(false) + await error.ConfigureAwait(false);
        // kadmin.local exits with 0 even when a query fails; its errors read "query: what went wrong while doing what".
        if (process.ExitCode != 0 || (tool.EndsWith("kadmin.local", StringComparison.Ordinal) && text.Contains(" while ", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"{Path.GetFileName(tool)} failed (exit code {process.ExitCode}): {text.Trim()}");
        }
    }

    private static string Tool(string directory, string name, string package)
    {
        var path = Path.Combine(directory, name);
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} was not found: run build/setup.sh (Debian package {package}).");
    }

    private string ClientConfiguration() => string.Create(CultureInfo.InvariantCulture, $"""
        [libdefaults]
            default_realm = {Realm}
            dns_lookup_realm = false
            dns_lookup_kdc = false
            dns_canonicalize_hostname = false
            rdns = false
            udp_preference_limit = 1
            default_keytab_name = FILE:{ServiceKeytabPath}
            default_ccache_name = {DefaultTicketCache}
            ticket_lifetime = 24h

        [realms]
            {Realm} = {'{'}
                kdc = 127.0.0.1:{Port}
            {'}'}

        [domain_realm]
            localhost = {Realm}

        """);

    private string KdcConfiguration() => string.Create(CultureInfo.InvariantCulture, $"""
        [kdcdefaults]
            kdc_listen = 127.0.0.1:{Port}
            kdc_tcp_listen = 127.0.0.1:{Port}

        [realms]
            {Realm} = {'{'}
                database_name = {Path.Combine(RootDirectory, "principal")}
                key_stash_file = {Path.Combine(RootDirectory, "stash")}
                acl_file = {Path.Combine(RootDirectory, "kadm5.acl")}
                max_life = 24h
            {'}'}

        [logging]
            kdc = FILE:{Path.Combine(RootDirectory, "kdc.log")}

        """);
}
