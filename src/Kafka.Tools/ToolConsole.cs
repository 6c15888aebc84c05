using Spectre.Console;

namespace Kafka.Tools;

/// <summary>
/// Where a command writes (results to <see cref="Output"/>, messages and prompts to <see cref="Error"/>) and reads
/// confirmations from. The tool uses the process's console; tests pass writers and a reader.
/// </summary>
internal sealed class ToolConsole
{
    public ToolConsole(TextWriter output, TextWriter error, TextReader input, bool interactive = false, int width = 120)
    {
        Output = output;
        Error = error;
        Input = input;
        Interactive = interactive;
        Tables = Create(output, interactive, width);
        Progress = interactive ? Create(error, true, width) : null;
    }

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    public TextReader Input { get; }

    /// <summary>Whether a person is watching a terminal: progress displays are shown only then.</summary>
    public bool Interactive { get; }

    /// <summary>Renders tables to <see cref="Output"/>.</summary>
    public IAnsiConsole Tables { get; }

    /// <summary>Renders progress displays to <see cref="Error"/>, when interactive.</summary>
    public IAnsiConsole? Progress { get; }

    public static ToolConsole FromSystemConsole()
    {
        var interactive = !Console.IsOutputRedirected && !Console.IsErrorRedirected && !Console.IsInputRedirected;
        var width = Console.IsOutputRedirected ? 120 : Math.Max(Console.WindowWidth, 40);
        return new ToolConsole(Console.Out, Console.Error, Console.In, interactive, width);
    }

    private static IAnsiConsole Create(TextWriter writer, bool interactive, int width)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        console.Profile.Width = width;
        return console;
    }
}
