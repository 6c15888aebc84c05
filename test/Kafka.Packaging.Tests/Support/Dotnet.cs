namespace Kafka.Packaging.Tests.Support;

/// <summary>Runs the .NET CLI as a user would, without leaving build servers behind.</summary>
internal static class Dotnet
{
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        // No MSBuild nodes, MSBuild server or compiler server outlive the command (they would hold its output open).
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        ["UseSharedCompilation"] = "false",
    };

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> and fails the test unless it exits 0.</summary>
    public static async Task<ProcessResult> RunAsync(string workingDirectory, TimeSpan hangGuard, params string[] arguments)
    {
        var result = await ProcessRunner.RunAsync("dotnet", arguments, workingDirectory, hangGuard, Environment).ConfigureAwait(false);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        TestContext.Progress.WriteLine($"  {result.Command}: {result.Elapsed.TotalSeconds:0.0} s");
        return result;
    }

    /// <summary>Runs a script with bash, with the same environment, and fails the test unless it exits 0.</summary>
    public static async Task<ProcessResult> BashAsync(
        string workingDirectory, TimeSpan hangGuard, string script, IReadOnlyDictionary<string, string?> environment)
    {
        var merged = new Dictionary<string, string?>(Environment);
        foreach (var (name, value) in environment)
        {
            merged[name] = value;
        }
        var result = await ProcessRunner.RunAsync("bash", [script], workingDirectory, hangGuard, merged).ConfigureAwait(false);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        TestContext.Progress.WriteLine($"  {result.Command}: {result.Elapsed.TotalSeconds:0.0} s");
        return result;
    }
}
