using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Kafka.Testing.Native;

/// <summary>
/// Receives librdkafka's log lines for one mock cluster (through the handle's opaque pointer) and passes them to
/// an <see cref="ILogger"/>; without one, only errors reach standard error, so failures are not lost silently.
/// </summary>
internal sealed partial class NativeLogSink(ILogger? logger)
{
    /// <summary>The callback librdkafka calls, from its own threads.</summary>
    internal static unsafe delegate* unmanaged[Cdecl]<nint, int, byte*, byte*, void> Callback => &OnLog;

    internal void Log(int syslogLevel, string facility, string message)
    {
        // The handle has no bootstrap.servers on purpose (it only hosts the mock brokers); that warning is expected.
        bool expected = facility == "CONFWARN" && message.Contains("bootstrap.servers", StringComparison.Ordinal);
        LogLevel level = expected ? LogLevel.Debug : ToLogLevel(syslogLevel);

        if (logger is not null)
        {
            LogNative(logger, level, facility, message);
        }
        else if (level >= LogLevel.Error)
        {
            Console.Error.WriteLine($"Kafka.Testing mock cluster: librdkafka {facility}: {message}");
        }
    }

    /// <summary>An error the fixture itself found (not a librdkafka line): to the logger, or else to standard error.</summary>
    internal void FixtureError(string message)
    {
        if (logger is not null)
        {
            LogFixtureError(logger, message);
        }
        else
        {
            Console.Error.WriteLine($"Kafka.Testing mock cluster: {message}");
        }
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "{FixtureMessage}")]
    private static partial void LogFixtureError(ILogger logger, string fixtureMessage);

    private static LogLevel ToLogLevel(int syslogLevel) => syslogLevel switch
    {
        <= 2 => LogLevel.Critical, // emerg, alert, crit
        3 => LogLevel.Error,
        4 => LogLevel.Warning,
        5 or 6 => LogLevel.Information, // notice, info
        _ => LogLevel.Debug,
    };

    [LoggerMessage(EventId = 1, Message = "librdkafka {Facility}: {NativeMessage}")]
    private static partial void LogNative(ILogger logger, LogLevel level, string facility, string nativeMessage);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void OnLog(nint rk, int level, byte* facility, byte* message)
    {
        // An exception must never unwind into native code: it would take the process down.
#pragma warning disable CA1031
        try
        {
            if (rk == 0)
            {
                return;
            }

            nint opaque = LibrdkafkaNative.Opaque(rk);
            if (opaque != 0 && GCHandle.FromIntPtr(opaque).Target is NativeLogSink sink)
            {
                sink.Log(level, Marshal.PtrToStringUTF8((nint)facility) ?? string.Empty, Marshal.PtrToStringUTF8((nint)message) ?? string.Empty);
            }
        }
        catch (Exception)
        {
            // A failing logger cannot be reported anywhere better than by not logging.
        }
#pragma warning restore CA1031
    }
}
