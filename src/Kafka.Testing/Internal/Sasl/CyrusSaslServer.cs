using System.Runtime.InteropServices;
using System.Text;

namespace Kafka.Testing.Internal.Sasl;

/// <summary>
/// Cyrus SASL's server for one proxy: PLAIN and SCRAM-SHA-* check passwords against a sasldb file of the proxy's own
/// (written with <c>sasl_setpass</c>, which also stores each user's SCRAM salt and keys), GSSAPI accepts Kerberos
/// tickets for <c>service/host</c> from the keytab the Kerberos configuration names. Cyrus is not documented as
/// thread-safe, so every call into it is serialized.
/// </summary>
internal sealed unsafe class CyrusSaslServer : ISaslServerFactory
{
    private const string ApplicationName = "kafka-testing";

    private static readonly Lock Gate = new();
    private static bool s_initialized;

    private readonly CyrusOptions _options;
    private readonly nint _callbacks;
    private readonly string _service;
    private readonly string _host;
    private readonly string _directory;
    private int _open;
    private bool _disposed;

    public CyrusSaslServer(IEnumerable<string> mechanisms, IReadOnlyDictionary<string, string> users, string service, string host)
    {
        _service = service;
        _host = host;
        _directory = Path.Combine(Path.GetTempPath(), "kafka-testing-sasl-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory);
        _options = new CyrusOptions(new Dictionary<string, string>
        {
            ["mech_list"] = string.Join(' ', mechanisms),
            ["pwcheck_method"] = "auxprop",
            ["auxprop_plugin"] = "sasldb",
            ["sasldb_path"] = Path.Combine(_directory, "sasldb2"),
            ["log_level"] = "5",
        });
        _callbacks = Marshal.AllocHGlobal(sizeof(CyrusSaslNative.Callback) * 3);
        var callbacks = (CyrusSaslNative.Callback*)_callbacks;
        callbacks[0] = new() { Id = CyrusSaslNative.CallbackGetOpt, Proc = (nint)(delegate* unmanaged[Cdecl]<nint, byte*, byte*, byte**, uint*, int>)&CyrusSaslNative.GetOption, Context = _options.Context };
        callbacks[1] = new() { Id = CyrusSaslNative.CallbackLog, Proc = (nint)(delegate* unmanaged[Cdecl]<nint, int, byte*, int>)&CyrusSaslNative.Log, Context = _options.Context };
        callbacks[2] = new() { Id = CyrusSaslNative.CallbackListEnd };
        try
        {
            lock (Gate)
            {
                Initialize();
                if (users.Count > 0)
                {
                    var connection = NewConnection();
                    try
                    {
                        foreach (var (user, password) in users)
                        {
                            SetPassword(connection, user, password);
                        }
                    }
                    finally
                    {
                        CyrusSaslNative.Dispose(&connection);
                    }
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>What Cyrus logged for this proxy lately (why an exchange failed).</summary>
    public IReadOnlyList<string> LogTail => _options.LogTail;

    public ISaslServerSession Start(string mechanism)
    {
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var connection = NewConnection();
            _open++;
            return new Session(this, connection, mechanism);
        }
    }

    private static void Initialize()
    {
        if (s_initialized)
        {
            return;
        }
        int result;
        try
        {
            // Cyrus keeps this pointer (not a copy) and reads it in every sasl_server_new: it must never move or be
            // freed, so it lives in native memory for the life of the process.
            var name = (byte*)Marshal.StringToCoTaskMemUTF8(ApplicationName);
            result = CyrusSaslNative.ServerInit(null, name);
        }
        catch (DllNotFoundException ex)
        {
            throw new InvalidOperationException(
                $"Cyrus SASL ({CyrusSaslNative.LibraryName}) is not installed: run build/setup.sh (Debian packages libsasl2-2, libsasl2-modules, libsasl2-modules-db, libsasl2-modules-gssapi-mit).", ex);
        }
        if (result != CyrusSaslNative.Ok)
        {
            throw new InvalidOperationException($"sasl_server_init failed: {CyrusSaslNative.Describe(result)}.");
        }
        s_initialized = true;
    }

    private nint NewConnection()
    {
        nint connection;
        int result;
        fixed (byte* service = Utf8(_service))
        fixed (byte* host = Utf8(_host))
        {
            result = CyrusSaslNative.ServerNew(service, host, null, null, null, (CyrusSaslNative.Callback*)_callbacks, CyrusSaslNative.SuccessData, &connection);
        }
        if (result != CyrusSaslNative.Ok)
        {
            throw new InvalidOperationException($"sasl_server_new failed: {CyrusSaslNative.Describe(result)}.");
        }
        // No security layer: Kafka runs GSSAPI for authentication only (and TLS, if any, for privacy).
        var properties = new CyrusSaslNative.SecurityProperties { MinSsf = 0, MaxSsf = 0, MaxBufferSize = 0 };
        CyrusSaslNative.SetProperty(connection, CyrusSaslNative.PropertySecurityProperties, &properties);
        return connection;
    }

    private void SetPassword(nint connection, string user, string password)
    {
        var secret = Encoding.UTF8.GetBytes(password);
        int result;
        fixed (byte* name = Utf8(user))
        fixed (byte* pass = secret)
        {
            result = CyrusSaslNative.SetPass(connection, name, pass, (uint)secret.Length, null, 0, CyrusSaslNative.SetCreate);
        }
        if (result != CyrusSaslNative.Ok)
        {
            throw new InvalidOperationException(
                $"sasl_setpass for user '{user}' failed: {CyrusSaslNative.Describe(result)}. {string.Join(" ", _options.LogTail)}");
        }
    }

    private void Release()
    {
        lock (Gate)
        {
            _open--;
            if (_disposed && _open == 0)
            {
                Free();
            }
        }
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (_open == 0)
            {
                Free();
            }
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    // Cyrus keeps pointers to the callbacks and their context for as long as a connection lives.
    private void Free()
    {
        Marshal.FreeHGlobal(_callbacks);
        _options.Dispose();
    }

    private static byte[] Utf8(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    private sealed class Session(CyrusSaslServer owner, nint connection, string mechanism) : ISaslServerSession
    {
        private nint _connection = connection;
        private bool _started;

        public string? Principal { get; private set; }

        public DateTimeOffset? CredentialExpiry => null;

        public IReadOnlyDictionary<string, string> Extensions { get; } = new Dictionary<string, string>();

        public SaslStepResult Step(ReadOnlySpan<byte> clientToken)
        {
            lock (Gate)
            {
                ObjectDisposedException.ThrowIf(_connection == 0, this);
                byte* output = null;
                uint outputLength = 0;
                int result;
                // A non-null pointer even for an empty token: Cyrus tells "no initial response" from an empty one.
                byte dummy = 0;
                fixed (byte* input = clientToken)
                {
                    var data = input == null ? &dummy : input;
                    if (!_started)
                    {
                        _started = true;
                        fixed (byte* name = Utf8(mechanism))
                        {
                            result = CyrusSaslNative.ServerStart(_connection, name, data, (uint)clientToken.Length, &output, &outputLength);
                        }
                    }
                    else
                    {
                        result = CyrusSaslNative.ServerStep(_connection, data, (uint)clientToken.Length, &output, &outputLength);
                    }
                }
                var bytes = output == null ? [] : new ReadOnlySpan<byte>(output, (int)outputLength).ToArray();
                switch (result)
                {
                    case CyrusSaslNative.Continue:
                        return new SaslStepResult(SaslStepStatus.Continue, bytes);
                    case CyrusSaslNative.Ok:
                        nint user;
                        if (CyrusSaslNative.GetProperty(_connection, CyrusSaslNative.PropertyUserName, &user) == CyrusSaslNative.Ok && user != 0)
                        {
                            Principal = Marshal.PtrToStringUTF8(user);
                        }
                        return new SaslStepResult(SaslStepStatus.Complete, bytes);
                    default:
                        var detail = Marshal.PtrToStringUTF8((nint)CyrusSaslNative.ErrorDetail(_connection));
                        return SaslStepResult.Fail($"Cyrus SASL {mechanism}: {CyrusSaslNative.Describe(result)}: {detail}");
                }
            }
        }

        public void Dispose()
        {
            lock (Gate)
            {
                if (_connection == 0)
                {
                    return;
                }
                var connection = _connection;
                CyrusSaslNative.Dispose(&connection);
                _connection = 0;
            }
            owner.Release();
        }
    }
}
