using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kafka.Testing.Internal.Sasl;

/// <summary>
/// The server half of Cyrus SASL (Debian's <c>libsasl2-2</c>, with its mechanism plug-ins from
/// <c>libsasl2-modules</c>, <c>libsasl2-modules-db</c> and <c>libsasl2-modules-gssapi-mit</c>), through its C API.
/// </summary>
internal static unsafe partial class CyrusSaslNative
{
    public const string LibraryName = "libsasl2.so.2";

    public const int Ok = 0;
    public const int Continue = 1;
    public const int NoUser = -20;
    public const int BadAuth = -13;
    public const int NoMech = -4;

    public const uint CallbackListEnd = 0;
    public const uint CallbackGetOpt = 1;
    public const uint CallbackLog = 2;

    /// <summary>SASL_SUCCESS_DATA: the server may send data with its final success (SCRAM's server signature).</summary>
    public const uint SuccessData = 0x0004;

    public const uint SetCreate = 0x01;

    public const int PropertyUserName = 0;
    public const int PropertySecurityProperties = 101;

    [StructLayout(LayoutKind.Sequential)]
    public struct Callback
    {
        public nuint Id;
        public nint Proc;
        public nint Context;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct SecurityProperties
    {
        public uint MinSsf;
        public uint MaxSsf;
        public uint MaxBufferSize;
        public uint SecurityFlags;
        public nint PropertyNames;
        public nint PropertyValues;
    }

    [LibraryImport(LibraryName, EntryPoint = "sasl_server_init")]
    public static partial int ServerInit(Callback* callbacks, byte* applicationName);

    [LibraryImport(LibraryName, EntryPoint = "sasl_server_new")]
    public static partial int ServerNew(byte* service, byte* serverFqdn, byte* userRealm, byte* localPort, byte* remotePort,
        Callback* callbacks, uint flags, nint* connection);

    [LibraryImport(LibraryName, EntryPoint = "sasl_server_start")]
    public static partial int ServerStart(nint connection, byte* mechanism, byte* clientIn, uint clientInLength, byte** serverOut, uint* serverOutLength);

    [LibraryImport(LibraryName, EntryPoint = "sasl_server_step")]
    public static partial int ServerStep(nint connection, byte* clientIn, uint clientInLength, byte** serverOut, uint* serverOutLength);

    [LibraryImport(LibraryName, EntryPoint = "sasl_setpass")]
    public static partial int SetPass(nint connection, byte* user, byte* password, uint passwordLength, byte* oldPassword, uint oldPasswordLength, uint flags);

    [LibraryImport(LibraryName, EntryPoint = "sasl_getprop")]
    public static partial int GetProperty(nint connection, int property, nint* value);

    [LibraryImport(LibraryName, EntryPoint = "sasl_setprop")]
    public static partial int SetProperty(nint connection, int property, void* value);

    [LibraryImport(LibraryName, EntryPoint = "sasl_dispose")]
    public static partial void Dispose(nint* connection);

    [LibraryImport(LibraryName, EntryPoint = "sasl_errdetail")]
    public static partial byte* ErrorDetail(nint connection);

    [LibraryImport(LibraryName, EntryPoint = "sasl_errstring")]
    public static partial byte* ErrorString(int error, byte* languages, byte** outLanguage);

    /// <summary>The plug-in options of one connection come from here: its context is a GCHandle to a <see cref="CyrusOptions"/>.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int GetOption(nint context, byte* pluginName, byte* option, byte** result, uint* length)
    {
        if (context == 0 || GCHandle.FromIntPtr(context).Target is not CyrusOptions options)
        {
            return -1;
        }
        var name = Marshal.PtrToStringUTF8((nint)option);
        if (name is null || !options.TryGet(name, out var value))
        {
            return -1; // SASL_FAIL: not set here, use the default
        }
        *result = (byte*)value;
        if (length != null)
        {
            *length = 0; // NUL-terminated
        }
        return Ok;
    }

    /// <summary>Cyrus's log lines go to the owning proxy's log, for failures that need explaining.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    public static int Log(nint context, int level, byte* message)
    {
        if (context != 0 && GCHandle.FromIntPtr(context).Target is CyrusOptions options)
        {
            options.Log(level, Marshal.PtrToStringUTF8((nint)message) ?? string.Empty);
        }
        return Ok;
    }

    public static string Describe(int error)
    {
        byte* text = ErrorString(error, null, null);
        return (Marshal.PtrToStringUTF8((nint)text) ?? "unknown error") + $" ({error})";
    }
}
