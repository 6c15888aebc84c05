using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kafka.Testing.Internal;

/// <summary>What the fixtures that run a server process (ZooKeeper, the Kerberos KDC) share.</summary>
internal static class LocalServers
{
    private static readonly ConcurrentDictionary<Process, bool> Running = new();
    private static int s_exitHookInstalled;

    /// <summary>
    /// Kills <paramref name="process"/> when this process exits, unless <see cref="Forget"/> was called: a test run that
    /// ends without disposing its servers must not leave them behind on a shared machine.
    /// </summary>
    public static void KillOnExit(Process process)
    {
        Running[process] = true;
        if (Interlocked.Exchange(ref s_exitHookInstalled, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                foreach (var running in Running.Keys)
                {
                    Kill(running);
                }
            };
        }
    }

    /// <summary>The process ended or was stopped: no need to kill it on exit.</summary>
    public static void Forget(Process? process)
    {
        if (process is not null)
        {
            Running.TryRemove(process, out _);
        }
    }

    /// <summary>A loopback port the system just chose, for a server that must be told its port.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Kills the process and its children, if it still runs.</summary>
    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }
}
