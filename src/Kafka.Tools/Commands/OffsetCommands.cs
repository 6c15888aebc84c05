using System.CommandLine;
using System.Text.Json.Nodes;
using Kafka.Client;
using Spectre.Console;

namespace Kafka.Tools.Commands;

internal sealed partial class ToolCommands
{
    private Command PrintOffsets()
    {
        var topicName = TopicArgument();
        var offset = OffsetArgument();
        return Define("print_offsets", "Fetch broker offsets for a topic.", async context =>
        {
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var topic = CommandContext.ExistingTopic(client, context.Get(topicName));
            var offsets = await ResolveOffsetsAsync(topic, context.Get(offset), context.CancellationToken).ConfigureAwait(false);
            if (context.Json)
            {
                context.WriteJson(new JsonArray([.. offsets.OrderBy(kv => kv.Key).Select(kv => new JsonObject { ["partition"] = kv.Key, ["offset"] = kv.Value })]));
            }
            else
            {
                context.Table(["Partition", "Offset"], offsets.OrderBy(kv => kv.Key).Select(kv => new[] { kv.Key.ToString(), kv.Value.ToString() }), 0, 1);
            }
            return ExitCodes.Ok;
        }, topicName, offset);
    }

    private Command ResetOffsets()
    {
        var topicName = TopicArgument();
        var group = GroupArgument();
        var offset = OffsetArgument();
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would change, change nothing" };
        var force = new Option<bool>("--force") { Description = "Reset even while the group has live members (they will overwrite it), or when that cannot be checked" };
        var yes = YesOption();
        return Define("reset_offsets", "Reset offsets for a topic/consumer group (asks for confirmation unless --yes).", async context =>
        {
            var groupId = context.Get(group);
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var topic = CommandContext.ExistingTopic(client, context.Get(topicName));
            var (targets, current) = await WithProgressAsync(context, $"Looking up offsets of {topic.Name}", async () =>
            {
                var targets = await ResolveOffsetsAsync(topic, context.Get(offset), context.CancellationToken).ConfigureAwait(false);
                var current = await client.Admin.ListGroupOffsetsAsync(groupId, targets.Keys.Select(p => new TopicAndPartition(topic.Name, p)), context.CancellationToken).ConfigureAwait(false);
                return (targets, current.ToDictionary(c => c.Partition.Partition, c => c.Offset));
            }).ConfigureAwait(false);
            var plan = targets.OrderBy(kv => kv.Key).Select(kv => (Partition: kv.Key, Current: current.GetValueOrDefault(kv.Key, -1), New: kv.Value)).ToList();

            var dry = context.Get(dryRun);
            if (!context.Json)
            {
                context.Line($"Group {groupId}, topic {topic.Name}:");
                context.Table(["Partition", "Current Offset", "New Offset"], plan.Select(p => new[] { p.Partition.ToString(), Show(p.Current), p.New.ToString() }), 0, 1, 2);
            }
            if (dry)
            {
                WritePlanJson(context, groupId, topic.Name, plan, applied: false);
                context.Console.Error.WriteLine("Dry run: nothing changed.");
                return ExitCodes.Ok;
            }
            if (!context.Get(force) && await LiveMembersAsync(client, groupId, context).ConfigureAwait(false) is { } refusal)
            {
                context.Console.Error.WriteLine($"error: {refusal} Nothing changed.");
                return ExitCodes.Refused;
            }
            if (!context.Confirm($"Reset {plan.Count} partitions of group {groupId} on topic {topic.Name}?", context.Get(yes)))
            {
                context.Console.Error.WriteLine("Nothing changed.");
                return ExitCodes.Refused;
            }
            var results = await WithProgressAsync(context, $"Committing {plan.Count} offsets", () =>
                client.Admin.AlterGroupOffsetsAsync(groupId, plan.ToDictionary(p => new TopicAndPartition(topic.Name, p.Partition), p => p.New), context.CancellationToken)).ConfigureAwait(false);
            var failed = results.Where(r => !r.Succeeded).ToList();
            WritePlanJson(context, groupId, topic.Name, plan, applied: failed.Count == 0);
            foreach (var failure in failed)
            {
                context.Console.Error.WriteLine($"error: {failure.Error!.Message}");
            }
            if (failed.Count == 0 && !context.Json)
            {
                context.Line($"Reset {plan.Count} partitions.");
            }
            return failed.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }, topicName, group, offset, dryRun, force, yes);
    }

    private static string Show(long offset) => offset < 0 ? "-" : offset.ToString();

    private static void WritePlanJson(CommandContext context, string group, string topic, List<(int Partition, long Current, long New)> plan, bool applied)
    {
        if (context.Json)
        {
            context.WriteJson(new JsonObject
            {
                ["group"] = group,
                ["topic"] = topic,
                ["applied"] = applied,
                ["partitions"] = new JsonArray([.. plan.Select(p => new JsonObject { ["partition"] = p.Partition, ["current"] = p.Current, ["new"] = p.New })]),
            });
        }
    }

    /// <summary>Why the group's offsets must not be reset now (it has live members, or that cannot be told), or null.</summary>
    private static async Task<string?> LiveMembersAsync(KafkaClient client, string group, CommandContext context)
    {
        try
        {
            var description = (await client.Admin.DescribeGroupsAsync([group], context.CancellationToken).ConfigureAwait(false)).Single();
            if (description.Error is { ErrorCode: KafkaErrorCode.GroupIdNotFound })
            {
                return null;
            }
            if (description.Error is { } error)
            {
                return $"Cannot tell whether group {group} has live members ({error.Message}); use --force to reset anyway.";
            }
            return description.Members.Count > 0
                ? $"Group {group} has {description.Members.Count} live member(s) (state {description.State}): stop them first, or use --force."
                : null;
        }
        catch (KafkaException ex)
        {
            return $"Cannot tell whether group {group} has live members ({ex.Message}); use --force to reset anyway.";
        }
    }

    /// <summary>Runs <paramref name="work"/> under a spinner on the error stream when a person is watching.</summary>
    private static async Task<T> WithProgressAsync<T>(CommandContext context, string what, Func<Task<T>> work)
    {
        if (context.Console.Progress is not { } progress || context.Json)
        {
            return await work().ConfigureAwait(false);
        }
        return await progress.Status().StartAsync(what, _ => work()).ConfigureAwait(false);
    }
}
