using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Kafka.Client;
using Spectre.Console;

namespace Kafka.Tools.Commands;

internal sealed partial class ToolCommands
{
    private static Option<string> FromOption(string defaultValue) => new("--from")
    {
        Description = $"Where to start: EARLIEST, LATEST, or a UTC datetime YYYY-MM-DDTHH:MM:SS [default: {defaultValue}]",
        DefaultValueFactory = _ => defaultValue,
    };

    private Command ConsumeTopic()
    {
        var topicName = TopicArgument();
        var limit = new Option<int>("--limit", "-l") { Description = "Number of messages to consume", DefaultValueFactory = _ => 10 };
        var outfile = new Option<FileInfo?>("--outfile", "-o") { Description = "output file (defaults to stdout)" };
        var from = FromOption("LATEST");
        return Define("consume_topic", "Dump messages for a topic to a file or stdout, one value per line (UTF-8).", async context =>
        {
            var count = context.Get(limit);
            if (count < 1)
            {
                throw new ToolException(ExitCodes.Usage, "--limit must be at least 1.");
            }
            var file = context.Get(outfile);
            await using var writer = file is null ? null : new StreamWriter(file.FullName, append: false, new UTF8Encoding(false));
            return await ConsumeAsync(context, context.Get(topicName), context.Get(from), count, writer ?? context.Console.Output, withPosition: false).ConfigureAwait(false);
        }, topicName, limit, outfile, from);
    }

    private Command Tail()
    {
        var topicName = TopicArgument();
        var limit = new Option<int?>("--limit", "-l") { Description = "Stop after this many messages [default: follow until Ctrl+C]" };
        var from = FromOption("LATEST");
        return Define("tail", "Follow a topic: print each new message as partition/offset and value, until Ctrl+C.", context =>
            ConsumeAsync(context, context.Get(topicName), context.Get(from), context.Get(limit) ?? int.MaxValue, context.Console.Output, withPosition: true),
            topicName, limit, from);
    }

    private static async Task<int> ConsumeAsync(CommandContext context, string topicName, string from, int limit, TextWriter output, bool withPosition)
    {
        await using var client = await context.ConnectAsync().ConfigureAwait(false);
        var topic = CommandContext.ExistingTopic(client, topicName);
        var start = await ResolveOffsetsAsync(topic, from, context.CancellationToken).ConfigureAwait(false);
        await using var consumer = topic.GetSimpleConsumer(new SimpleConsumerOptions { ResetOffsetOnStart = false });
        await consumer.ResetOffsetsAsync(start, context.CancellationToken).ConfigureAwait(false);

        var progress = context.Console.Progress is { } console && !context.Json && limit != int.MaxValue && limit >= 1000 && !ReferenceEquals(output, context.Console.Output)
            ? console
            : null;
        if (progress is null)
        {
            await CopyAsync(context, consumer, limit, output, withPosition, null).ConfigureAwait(false);
        }
        else
        {
            await progress.Progress().StartAsync(async p =>
            {
                var task = p.AddTask($"Consuming {topic.Name}", maxValue: limit);
                await CopyAsync(context, consumer, limit, output, withPosition, () => task.Increment(1)).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        await output.FlushAsync(context.CancellationToken).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static async Task CopyAsync(CommandContext context, SimpleConsumer consumer, int limit, TextWriter output, bool withPosition, Action? step)
    {
        for (var consumed = 0; consumed < limit;)
        {
            var message = await consumer.ConsumeAsync(context.CancellationToken).ConfigureAwait(false);
            if (message is null || message.IsValueNull)
            {
                continue;
            }
            var value = Encoding.UTF8.GetString(message.Value.Span);
            if (context.Json)
            {
                var line = new JsonObject
                {
                    ["partition"] = message.PartitionId,
                    ["offset"] = message.Offset,
                    ["timestamp"] = message.Timestamp?.ToString("O"),
                    ["key"] = message.IsPartitionKeyNull ? null : Encoding.UTF8.GetString(message.PartitionKey.Span),
                    ["value"] = value,
                };
                await output.WriteLineAsync(line.ToJsonString(CommandContext.Lines)).ConfigureAwait(false);
            }
            else
            {
                await output.WriteLineAsync(withPosition ? $"{message.PartitionId}/{message.Offset}\t{value}" : value).ConfigureAwait(false);
            }
            consumed++;
            step?.Invoke();
        }
    }
}
