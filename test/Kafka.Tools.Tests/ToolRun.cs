namespace Kafka.Tools.Tests;

/// <summary>What one in-process run of kafka-tools printed and returned.</summary>
internal sealed record ToolRun(int ExitCode, string Output, string Error)
{
    /// <summary>Runs kafka-tools with <paramref name="args"/>; <paramref name="input"/> answers its prompts.</summary>
    public static async Task<ToolRun> RunWithInputAsync(string input, params string[] args)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        using var reader = new StringReader(input);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var code = await KafkaTools.RunAsync(args, new ToolConsole(output, error, reader, interactive: false, width: 100), timeout.Token);
        return new ToolRun(code, output.ToString(), error.ToString());
    }

    public static Task<ToolRun> RunAsync(params string[] args) => RunWithInputAsync("", args);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}--- stderr\n{Error}";
}
