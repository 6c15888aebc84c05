using System.Runtime.InteropServices;

namespace Kafka.Client.Tests.Support;

/// <summary>
/// The CPU time one thread has used (user + system), readable from any thread. Unlike wall time it does not grow while
/// the thread waits for a core, so a bound on it holds on a loaded machine: a check for "this loop hangs" counts the
/// work the loop did, not how long others kept it from running. Linux reads the thread's own clock
/// (<c>pthread_getcpuclockid</c>); elsewhere the whole process's CPU time stands in, which is never less.
/// </summary>
internal sealed class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3; // CLOCK_THREAD_CPUTIME_ID

    private readonly int _clockId;
    private readonly TimeSpan _start;

    private ThreadCpuClock(int clockId, TimeSpan start)
    {
        _clockId = clockId;
        _start = start;
    }

    /// <summary>A clock of the calling thread's CPU time from now on.</summary>
    public static ThreadCpuClock StartForCurrentThread()
    {
        if (OperatingSystem.IsLinux() && Native.pthread_getcpuclockid(Native.pthread_self(), out var clockId) == 0
            && Native.clock_gettime(clockId, out var now) == 0)
        {
            return new ThreadCpuClock(clockId, now.ToTimeSpan());
        }
        return new ThreadCpuClock(-1, Environment.CpuUsage.TotalTime);
    }

    /// <summary>CPU time the calling thread has used; cheap enough to read around every decode.</summary>
    public static TimeSpan CurrentThread() =>
        OperatingSystem.IsLinux() && Native.clock_gettime(ClockThreadCpuTimeId, out var now) == 0 ? now.ToTimeSpan() : Environment.CpuUsage.TotalTime;

    /// <summary>
    /// CPU time the clock's thread has used since the clock started; false once that thread has ended (its clock is
    /// gone with it).
    /// </summary>
    public bool TryGetUsed(out TimeSpan used)
    {
        if (_clockId == -1)
        {
            used = Environment.CpuUsage.TotalTime - _start;
            return true;
        }
        if (Native.clock_gettime(_clockId, out var now) != 0)
        {
            used = default;
            return false;
        }
        used = now.ToTimeSpan() - _start;
        return true;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;

        public readonly TimeSpan ToTimeSpan() => TimeSpan.FromTicks((Seconds * TimeSpan.TicksPerSecond) + (Nanoseconds / 100));
    }

#pragma warning disable SYSLIB1054 // blittable signatures: DllImport needs no unsafe code in the test project
    private static class Native
    {
        [DllImport("libc.so.6", SetLastError = false)]
        public static extern nint pthread_self();

        [DllImport("libc.so.6", SetLastError = false)]
        public static extern int pthread_getcpuclockid(nint thread, out int clockId);

        [DllImport("libc.so.6", SetLastError = false)]
        public static extern int clock_gettime(int clockId, out TimeSpec time);
    }
#pragma warning restore SYSLIB1054
}
