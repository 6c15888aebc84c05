using System.Diagnostics;

namespace Kafka.Testing.Tests.Support;

/// <summary>Waits for a condition with a deadline, polling briefly; fails the test with a message when the deadline passes.</summary>
internal static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static void WaitUntil(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        TimeSpan limit = timeout ?? DefaultTimeout;
        Exception? last = null;
        while (true)
        {
            try
            {
                if (condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is not AssertionException)
            {
                // The mock may be changing under the peer client; keep the last error for the failure message.
                last = ex;
            }

            if (deadline.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for: {what}" + (last is null ? "" : $" (last error: {last.Message})"));
            }

            Thread.Sleep(20);
        }
    }
}
