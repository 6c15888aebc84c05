using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kafka.Testing.Internal;

/// <summary>What the fixtures that run a server process (ZooKeeper, the Kerberos KDC) share.</summary>
internal static class LocalServers
{
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
