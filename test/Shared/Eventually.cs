// One wait-for-a-condition helper for every test project: each links this file in (see its .csproj), and the global
// usings below let tests call WaitUntilAsync / WaitUntil unqualified or as Eventually.WaitUntil.
global using Kafka.Tests;
global using static Kafka.Tests.Eventually;

using System.Diagnostics;
using NUnit.Framework;

namespace Kafka.Tests;

/// <summary>
/// Waits until a condition holds, polling it, and fails the test with what it waited for when the deadline passes.
/// The deadline only guards against a hang: a test waits for what it needs, however slow the machine. A condition that
/// throws (the system may be changing under it) is tried again; its last error is named if the deadline passes.
/// </summary>
internal static class Eventually
{
    /// <summary>How long a wait may last unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(30);

    private const int PollMilliseconds = 20;

    /// <param name="condition">What must hold.</param>
    /// <param name="what">What is waited for, for the failure message.</param>
    /// <param name="deadline">How long to wait at most; <see cref="DefaultDeadline"/> by default.</param>
    /// <param name="step">Run between polls, e.g. to move a fake clock on.</param>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? deadline = null, Action? step = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, deadline, step);

    /// <inheritdoc cref="WaitUntilAsync(Func{bool}, string, TimeSpan?, Action?)"/>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? deadline = null, Action? step = null)
    {
        var wait = new Wait(what, deadline);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is not ResultStateException)
            {
                wait.LastError = ex;
            }
            wait.FailIfOver();
            step?.Invoke();
            await Task.Delay(PollMilliseconds);
        }
    }

    /// <summary>The blocking form, for tests that drive a blocking peer client.</summary>
    /// <inheritdoc cref="WaitUntilAsync(Func{bool}, string, TimeSpan?, Action?)"/>
    public static void WaitUntil(Func<bool> condition, string what, TimeSpan? deadline = null)
    {
        var wait = new Wait(what, deadline);
        while (true)
        {
            try
            {
                if (condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is not ResultStateException)
            {
                wait.LastError = ex;
            }
            wait.FailIfOver();
            Thread.Sleep(PollMilliseconds);
        }
    }

    private sealed class Wait(string what, TimeSpan? deadline)
    {
        private readonly Stopwatch _watch = Stopwatch.StartNew();
        private readonly TimeSpan _limit = deadline ?? DefaultDeadline;

        public Exception? LastError { get; set; }

        public void FailIfOver()
        {
            if (_watch.Elapsed > _limit)
            {
                Assert.Fail($"Timed out after {_limit.TotalSeconds:0.#} s waiting for {what}" +
                    (LastError is null ? "." : $" (last error: {LastError.GetType().Name}: {LastError.Message})."));
            }
        }
    }
}
