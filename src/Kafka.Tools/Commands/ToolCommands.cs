using System.CommandLine;
using System.Globalization;
using Kafka.Client;

namespace Kafka.Tools.Commands;

/// <summary>The commands, defined on the shared connection options; one file per group of commands.</summary>
internal sealed partial class ToolCommands(ConnectionOptions connection, ToolConsole console)
{
    public IEnumerable<Command> All() =>
    [
        ConsumeTopic(), DescTopic(), PrintManagedConsumerGroups(), PrintConsumerLag(), PrintOffsets(), PrintTopics(), ResetOffsets(),
        CreateTopic(), DeleteTopic(), Lag(), Tail(), DescribeGroup(), AlterConfig(),
    ];

    private Command Define(string name, string description, Func<CommandContext, Task<int>> run, params Symbol[] symbols)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
            }
        }
        command.SetAction((parse, token) => run(new CommandContext(parse, console, connection, token)));
        return command;
    }

    private static Argument<string> TopicArgument() => new("TOPIC") { Description = "Topic name." };

    private static Argument<string> GroupArgument() => new("CONSUMER_GROUP") { Description = "Consumer group name." };

    private static Argument<string> OffsetArgument() =>
        new("OFFSET") { Description = "Offset to use: EARLIEST, LATEST, or a UTC datetime in the format YYYY-MM-DDTHH:MM:SS." };

    private static Option<int> TimeoutOption() =>
        new("--timeout", "-t") { Description = "Time in ms to wait for the operation to complete", DefaultValueFactory = _ => 5000 };

    private static Option<bool> YesOption() => new("--yes", "-y") { Description = "Do not ask for confirmation" };

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Ids(IEnumerable<Broker> brokers) => $"[{string.Join(", ", brokers.Select(b => b.Id))}]";

    /// <summary>EARLIEST, LATEST, or a UTC datetime (pykafka's format), as the offsets of each partition.</summary>
    private static async Task<IReadOnlyDictionary<int, long>> ResolveOffsetsAsync(Topic topic, string spec, CancellationToken cancellationToken)
    {
        if (spec.Equals("earliest", StringComparison.OrdinalIgnoreCase))
        {
            return await topic.EarliestAvailableOffsetsAsync(cancellationToken).ConfigureAwait(false);
        }
        if (spec.Equals("latest", StringComparison.OrdinalIgnoreCase))
        {
            return await topic.LatestAvailableOffsetsAsync(cancellationToken).ConfigureAwait(false);
        }
        if (!DateTime.TryParseExact(spec, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time))
        {
            throw new ToolException(ExitCodes.Usage, $"'{spec}' is not an offset: use EARLIEST, LATEST or a datetime such as 2024-05-01T12:00:00 (UTC).");
        }
        var byTime = await topic.FetchOffsetLimitsAsync(new DateTimeOffset(time, TimeSpan.Zero), cancellationToken).ConfigureAwait(false);
        var latest = await topic.LatestAvailableOffsetsAsync(cancellationToken).ConfigureAwait(false);
        // Where every message is older than the time, the position is the end of the partition.
        return byTime.ToDictionary(kv => kv.Key, kv => kv.Value >= 0 ? kv.Value : latest[kv.Key]);
    }
}
