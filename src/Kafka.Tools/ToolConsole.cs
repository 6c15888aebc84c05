using Spectre.Console;

namespace Kafka.Tools;

/// <summary>
/// Where a command writes (results to <see cref="Output"/>, messages and prompts to <see cref="Error"/>) and reads
/// confirmations and secrets from. The tool uses the process's console; tests pass writers, a reader and a secret reader.
/// </summary>
internal sealed class ToolConsole
{
    public ToolConsole(TextWriter output, TextWriter error, TextReader input, bool interactive = false, int width = 120, Func<string?>? readSecret = null)
    {
        Output = output;
        Error = error;
        Input = input;
        Interactive = interactive;
        ReadSecret = readSecret;
        Tables = Create(output, interactive, width);
        Progress = interactive ? Create(error, true, width) : null;
    }

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    public TextReader Input { get; }

    /// <summary>Whether a person is watching a terminal: progress displays are shown only then.</summary>
    public bool Interactive { get; }

    /// <summary>
    /// Reads a line typed without echo (a password), or null when no one can type one: standard input is not a terminal.
    /// </summary>
    public Func<string?>? ReadSecret { get; }

    /// <summary>Renders tables to <see cref="Output"/>.</summary>
    public IAnsiConsole Tables { get; }

    /// <summary>Renders progress displays to <see cref="Error"/>, when interactive.</summary>
    public IAnsiConsole? Progress { get; }

    public static ToolConsole FromSystemConsole()
    {
        var interactive = !Console.IsOutputRedirected && !Console.IsErrorRedirected && !Console.IsInputRedirected;
        var width = Console.IsOutputRedirected ? 120 : Math.Max(Console.WindowWidth, 40);
        return new ToolConsole(Console.Out, Console.Error, Console.In, interactive, width, Console.IsInputRedirected ? null : ReadHiddenLine);
    }

    // Keys are read without echo; Enter ends the line, Backspace takes back a character.
    private static string? ReadHiddenLine()
    {
        var line = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                return line.ToString();
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                line.Length = Math.Max(0, line.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                line.Append(key.KeyChar);
            }
        }
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
