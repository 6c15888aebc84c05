using System.Runtime.InteropServices;

namespace Kafka.Testing.Internal;

/// <summary>The one libc call the fixtures need: sending a signal (a graceful SIGTERM, which .NET has no API for).</summary>
internal static partial class PosixSignals
{
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}
