using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kafka.Testing.Native;

/// <summary>
/// Bounds the latency of control calls that librdkafka hands to the mock cluster's thread.
/// </summary>
/// <remarks>
/// Those calls enqueue an operation and wake the thread through a pipe, but librdkafka 2.16 drains the pipe after
/// serving operations in the same loop pass, so an operation enqueued right after the previous one returns can lose
/// its wake-up and wait for the thread's 1 s poll timeout (measured: 14% of back-to-back calls). While a call is
/// pending, this opens a TCP connection to a listening broker: the listener's readiness wakes the thread, which
/// serves the operation. The mock accepts the connection and sees it close; no request is sent.
/// One process-wide thread does the nudging, so that it does not depend on thread-pool threads, which the blocked
/// callers may be using up.
/// </remarks>
internal sealed class MockThreadNudger
{
    private static readonly TimeSpan FirstNudge = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan NudgeInterval = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(5);

    private static readonly Lock Gate = new();
    private static readonly HashSet<MockThreadNudger> Armed = [];
    private static readonly AutoResetEvent ArmedSignal = new(false);
    private static Thread? s_thread;

    private volatile int[] _ports = [];
    private int _pendingCalls; // guarded by Gate
    private long _armedAt; // guarded by Gate
    private long _lastNudge; // nudging thread only

    /// <summary>The ports of the brokers whose listeners can be used to wake the thread.</summary>
    internal void SetPorts(IEnumerable<int> ports) => _ports = [.. ports];

    /// <summary>Marks a call to the mock thread as pending until the returned scope is disposed.</summary>
    internal PendingCall Arm()
    {
        lock (Gate)
        {
            if (_pendingCalls++ == 0)
            {
                _armedAt = Stopwatch.GetTimestamp();
                _lastNudge = 0;
                Armed.Add(this);
            }

            if (s_thread is null)
            {
                s_thread = new Thread(Run) { IsBackground = true, Name = "Kafka.Testing mock cluster wake-up" };
                s_thread.Start();
            }
        }

        ArmedSignal.Set();
        return new PendingCall(this);
    }

    private void Disarm()
    {
        lock (Gate)
        {
            if (--_pendingCalls == 0)
            {
                Armed.Remove(this);
            }
        }
    }

    private static void Run()
    {
        var due = new List<MockThreadNudger>();
        while (true)
        {
            bool anyArmed;
            lock (Gate)
            {
                anyArmed = Armed.Count > 0;
                due.Clear();
                foreach (var nudger in Armed)
                {
                    if (Stopwatch.GetElapsedTime(nudger._armedAt) >= FirstNudge &&
                        (nudger._lastNudge == 0 || Stopwatch.GetElapsedTime(nudger._lastNudge) >= NudgeInterval))
                    {
                        due.Add(nudger);
                    }
                }
            }

            foreach (var nudger in due)
            {
                nudger._lastNudge = Stopwatch.GetTimestamp();
                nudger.Nudge();
            }

            if (anyArmed)
            {
                ArmedSignal.WaitOne(Tick);
            }
            else
            {
                ArmedSignal.WaitOne();
            }
        }
    }

    private void Nudge()
    {
        foreach (int port in _ports)
        {
            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                // That broker is down or gone; try the next one.
            }
        }
    }

    /// <summary>A pending call; disposing it ends the nudging for it.</summary>
    internal readonly struct PendingCall(MockThreadNudger owner) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => owner.Disarm();
    }
}
