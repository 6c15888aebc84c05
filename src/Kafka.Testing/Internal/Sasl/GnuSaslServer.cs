using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Kafka.Testing.Internal.Sasl;

/// <summary>
/// GNU SASL's server (Debian's <c>libgsasl18</c>) for one proxy: PLAIN and SCRAM-SHA-1/256. The library checks the
/// client's password or proof and, for SCRAM, makes the salt and the server signature; the proxy only answers its
/// callback with the password of the user it names. Calls into one library context are serialized.
/// </summary>
internal sealed unsafe partial class GnuSaslServer : ISaslServerFactory
{
    private const string LibraryName = "libgsasl.so.18";
    private const int GsaslOk = 0;
    private const int GsaslNeedsMore = 1;
    private const int GsaslAuthenticationError = 31;
    private const int GsaslNoCallback = 51;
    private const int PropertyAuthId = 1;
    private const int PropertyPassword = 3;
    private const int PropertyService = 5;
    private const int PropertyHostname = 6;

    private readonly Lock _gate = new();
    private readonly IReadOnlyDictionary<string, string> _users;
    private readonly string _service;
    private readonly string _host;
    private GCHandle _self;
    private nint _context;
    private int _open;
    private bool _disposed;

    public GnuSaslServer(IReadOnlyDictionary<string, string> users, string service, string host)
    {
        _users = users;
        _service = service;
        _host = host;
        nint context;
        int result;
        try
        {
            result = Init(&context);
        }
        catch (DllNotFoundException ex)
        {
            throw new InvalidOperationException($"GNU SASL ({LibraryName}) is not installed: run build/setup.sh (Debian package libgsasl18).", ex);
        }
        if (result != GsaslOk)
        {
            throw new InvalidOperationException($"gsasl_init failed: {ErrorName(result)}.");
        }
        _context = context;
        _self = GCHandle.Alloc(this);
        CallbackHookSet(_context, GCHandle.ToIntPtr(_self));
        CallbackSet(_context, (nint)(delegate* unmanaged[Cdecl]<nint, nint, int, int>)&Callback);
    }

    public ISaslServerSession Start(string mechanism)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            nint session;
            int result;
            fixed (byte* name = Utf8(mechanism))
            {
                result = ServerStart(_context, name, &session);
            }
            if (result != GsaslOk)
            {
                throw new InvalidOperationException($"gsasl_server_start({mechanism}) failed: {ErrorName(result)}.");
            }
            _open++;
            return new Session(this, session, mechanism);
        }
    }

    public void Dispose()
    {
        lock (_gate)
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
    }

    private void Release()
    {
        lock (_gate)
        {
            _open--;
            if (_disposed && _open == 0)
            {
                Free();
            }
        }
    }

    private void Free()
    {
        Done(_context);
        _context = 0;
        _self.Free();
    }

    /// <summary>Answers the library's questions: the password of the user being authenticated, the service and host.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Callback(nint context, nint session, int property)
    {
        if (GCHandle.FromIntPtr(CallbackHookGet(context)).Target is not GnuSaslServer server)
        {
            return GsaslNoCallback;
        }
        switch (property)
        {
            case PropertyPassword:
                var user = Marshal.PtrToStringUTF8((nint)PropertyFast(session, PropertyAuthId));
                if (user is null || !server._users.TryGetValue(user, out var password))
                {
                    return GsaslAuthenticationError;
                }
                return Set(session, PropertyPassword, password);
            case PropertyService:
                return Set(session, PropertyService, server._service);
            case PropertyHostname:
                return Set(session, PropertyHostname, server._host);
            default:
                // Validation (GSASL_VALIDATE_SIMPLE) and SCRAM's salt and iterations: the library's own.
                return GsaslNoCallback;
        }
    }

    private static int Set(nint session, int property, string value)
    {
        fixed (byte* data = Utf8(value))
        {
            return PropertySet(session, property, data);
        }
    }

    private static string ErrorName(int error) => (Marshal.PtrToStringUTF8((nint)StrErrorName(error)) ?? "?") + $" ({error})";

    private static byte[] Utf8(string value)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(value) + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        return bytes;
    }

    [LibraryImport(LibraryName, EntryPoint = "gsasl_init")]
    private static partial int Init(nint* context);

    [LibraryImport(LibraryName, EntryPoint = "gsasl_done")]
    private static partial void Done(nint context);

    [LibraryImport(LibraryName, EntryPoint = "gsasl_callback_set")]
    private static partial void CallbackSet(nint context, nint callback);

    [LibraryImport(LibraryName, EntryPoint = "gsasl_callback_hook_set")]
    private static partial void CallbackHookSet(nint context, nint hook);

    [LibraryImport(LibraryName, EntryPoint = "gsasl_callback_hook_get")]
    private static partial nint CallbackHookGet(nint context);

    [LibraryImport(LibraryName, EntryPoint = "gsasl_server_start")]
    private static partial int ServerStart(nint context, byte* mechanism, nint* session);

    [LibraryImport(LibraryName, EntryPoint = "gsasl_step")]
    private static partial int Step(nint session, byte* input, nuint inputLength, byte** output, nuint* outputLength);

    [LibraryImport(LibraryName, EntryPoint = "gsasl_finish")]
    private static partial void Finish(nint session);

    [LibraryImport(LibraryName, EntryPoint = "gsasl_free")]
    private static partial void Free(void* pointer);

    [LibraryImport(LibraryName, EntryPoint = "gsasl_property_set")]
    private static partial int PropertySet(nint session, int property, byte* data);

    [LibraryImport(LibraryName, EntryPoint = "gsasl_property_fast")]
    private static partial byte* PropertyFast(nint session, int property);

    [LibraryImport(LibraryName, EntryPoint = "gsasl_strerror_name")]
    private static partial byte* StrErrorName(int error);

    private sealed class Session(GnuSaslServer owner, nint session, string mechanism) : ISaslServerSession
    {
        private nint _session = session;

        public string? Principal { get; private set; }

        public DateTimeOffset? CredentialExpiry => null;

        public IReadOnlyDictionary<string, string> Extensions { get; } = new Dictionary<string, string>();

        public SaslStepResult Step(ReadOnlySpan<byte> clientToken)
        {
            lock (owner._gate)
            {
                ObjectDisposedException.ThrowIf(_session == 0, this);
                byte* output = null;
                nuint outputLength = 0;
                int result;
                byte dummy = 0;
                fixed (byte* input = clientToken)
                {
                    result = GnuSaslServer.Step(_session, input == null ? &dummy : input, (nuint)clientToken.Length, &output, &outputLength);
                }
                byte[] bytes = [];
                if (output != null)
                {
                    bytes = new ReadOnlySpan<byte>(output, (int)outputLength).ToArray();
                    Free(output);
                }
                switch (result)
                {
                    case GsaslNeedsMore:
                        return new SaslStepResult(SaslStepStatus.Continue, bytes);
                    case GsaslOk:
                        Principal = Marshal.PtrToStringUTF8((nint)PropertyFast(_session, PropertyAuthId));
                        return new SaslStepResult(SaslStepStatus.Complete, bytes);
                    default:
                        return SaslStepResult.Fail($"GNU SASL {mechanism}: {ErrorName(result)}");
                }
            }
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                if (_session == 0)
                {
                    return;
                }
                Finish(_session);
                _session = 0;
            }
            owner.Release();
        }
    }
}
