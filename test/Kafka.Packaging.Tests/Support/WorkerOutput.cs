namespace Kafka.Packaging.Tests.Support;

/// <summary>Checks what the smoke worker printed.</summary>
internal static class WorkerOutput
{
    /// <summary>The run exited 0, handled exactly <paramref name="expected"/>, stopped by itself, and logged no error.</summary>
    public static void AssertCleanRun(ProcessResult run, IEnumerable<string> expected)
    {
        var want = expected.ToList();
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        var lines = run.Output.Split('\n', StringSplitOptions.TrimEntries);
        var consumed = lines.Where(l => l.StartsWith("smoke: consumed ", StringComparison.Ordinal) && !l.StartsWith("smoke: consumed all", StringComparison.Ordinal))
            .Select(l => l["smoke: consumed ".Length..]).ToList();
        Assert.That(consumed, Is.EquivalentTo(want), run.ToString());
        Assert.That(lines, Does.Contain($"smoke: consumed all {want.Count}"), run.ToString());
        Assert.That(lines, Does.Contain($"smoke: stopped cleanly after handling {want.Count} messages"), run.ToString());
        Assert.That(lines.Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)
            || l.Contains("Unhandled exception", StringComparison.Ordinal)), Is.Empty, run.ToString());
    }
}
