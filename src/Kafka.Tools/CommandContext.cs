using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kafka.Client;
using Spectre.Console;

namespace Kafka.Tools;

/// <summary>One command's run: its parsed arguments, where it writes, and the cluster connection.</summary>
internal sealed class CommandContext(ParseResult parse, ToolConsole console, ConnectionOptions connection, CancellationToken cancellationToken)
{
    // Plain text for people and scripts alike: quotes and apostrophes in messages are not \u-escaped.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One JSON object per line (consume_topic and tail).</summary>
    internal static readonly JsonSerializerOptions Lines = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public ParseResult Parse { get; } = parse;

    public ToolConsole Console { get; } = console;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public bool Json => Parse.GetValue(connection.Json);

    public T Get<T>(Option<T> option) => Parse.GetValue(option)!;

    public T Get<T>(Argument<T> argument) => Parse.GetValue(argument)!;

    /// <summary>A client connected to the cluster, with its metadata read.</summary>
    public async Task<KafkaClient> ConnectAsync()
    {
        var client = new KafkaClient(connection.Build(Parse, Console));
        try
        {
            await client.UpdateClusterAsync(CancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The topic, which must exist: the tools never create topics by looking them up (as pykafka's don't).</summary>
    public static Topic ExistingTopic(KafkaClient client, string name) =>
        client.Topics.TryGetValue(name, out var topic) ? topic : throw new ToolException(ExitCodes.Usage, $"Topic {name} does not exist.");

    public void Line(string text) => Console.Output.WriteLine(text);

    public void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows, params int[] rightAligned)
    {
        var table = new Table().Border(TableBorder.Simple);
        for (var i = 0; i < headers.Count; i++)
        {
            var column = new TableColumn(new Text(headers[i]));
            table.AddColumn(Array.IndexOf(rightAligned, i) >= 0 ? column.RightAligned() : column);
        }
        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (Spectre.Console.Rendering.IRenderable)new Text(cell)).ToArray());
        }
        Console.Tables.Write(table);
    }

    public void WriteJson(JsonNode node) => Console.Output.WriteLine(node.ToJsonString(Indented));

    /// <summary>
    /// Asks on the error stream and reads the answer: true for y or yes. With --yes nothing is asked; when the input
    /// ends without an answer, the answer is no.
    /// </summary>
    public bool Confirm(string question, bool yes)
    {
        if (yes)
        {
            return true;
        }
        Console.Error.Write($"{question} [y/N] ");
        var answer = Console.Input.ReadLine()?.Trim();
        return answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>A failure the tool reports with its own message and exit code.</summary>
internal sealed class ToolException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
