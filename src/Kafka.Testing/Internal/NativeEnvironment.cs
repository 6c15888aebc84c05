using System.Runtime.InteropServices;

namespace Kafka.Testing.Internal;

/// <summary>
/// Sets an environment variable for native code too: on Unix, <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// changes .NET's copy only, which libraries such as MIT Kerberos never read.
/// </summary>
internal static partial class NativeEnvironment
{
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows() && SetEnv(name, value, 1) != 0)
        {
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
