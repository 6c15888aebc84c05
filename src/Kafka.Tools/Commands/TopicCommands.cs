using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kafka.Client;
using Kafka.Client.Admin;

namespace Kafka.Tools.Commands;

internal sealed partial class ToolCommands
{
    private Command PrintTopics() => Define("print_topics", "Print information about all topics in the cluster.", async context =>
    {
        await using var client = await context.ConnectAsync().ConfigureAwait(false);
        var topics = client.Topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => (t.Name, Partitions: t.Partitions.Count, Replication: t.Partitions.Values.FirstOrDefault()?.Replicas.Count ?? 0))
            .ToList();
        if (context.Json)
        {
            context.WriteJson(new JsonArray([.. topics.Select(t => new JsonObject { ["topic"] = t.Name, ["partitions"] = t.Partitions, ["replication"] = t.Replication })]));
        }
        else
        {
            context.Table(["Topic", "Partitions", "Replication"], topics.Select(t => new[] { t.Name, t.Partitions.ToString(), t.Replication.ToString() }), 1, 2);
        }
        return ExitCodes.Ok;
    });

    private Command DescTopic()
    {
        var topicName = TopicArgument();
        return Define("desc_topic", "Print detailed info for a topic.", async context =>
        {
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var topic = CommandContext.ExistingTopic(client, context.Get(topicName));
            var partitions = topic.Partitions.Values.OrderBy(p => p.Id).ToList();
            if (context.Json)
            {
                context.WriteJson(new JsonObject
                {
                    ["topic"] = topic.Name,
                    ["partitions"] = new JsonArray([.. partitions.Select(p => new JsonObject
                    {
                        ["partition"] = p.Id,
                        ["leader"] = p.Leader?.Id ?? -1,
                        ["replicas"] = new JsonArray([.. p.Replicas.Select(r => (JsonNode)r.Id)]),
                        ["isr"] = new JsonArray([.. p.Isr.Select(r => (JsonNode)r.Id)]),
                    })]),
                });
                return ExitCodes.Ok;
            }
            context.Line($"Topic: {topic.Name}");
            context.Line($"Partitions: {partitions.Count}");
            context.Line($"Replicas: {partitions.FirstOrDefault()?.Replicas.Count ?? 0}");
            context.Table(["Partition", "Leader", "Replicas", "ISR"],
                partitions.Select(p => new[] { p.Id.ToString(), p.Leader?.Id.ToString() ?? "-", Ids(p.Replicas), Ids(p.Isr) }), 0, 1);
            return ExitCodes.Ok;
        }, topicName);
    }

    private Command CreateTopic()
    {
        var topicName = TopicArgument();
        var timeout = TimeoutOption();
        var partitions = new Option<int>("--num_partitions", "-p", "--num-partitions")
        {
            Description = "Number of partitions to be created. -1 indicates unset (the broker's default)",
            DefaultValueFactory = _ => 1,
        };
        var replication = new Option<short>("--replication_factor", "-r", "--replication-factor")
        {
            Description = "Replication factor for the topic. -1 indicates unset (the broker's default)",
            DefaultValueFactory = _ => 1,
        };
        var assignment = new Option<string?>("--replica_assignment", "-a", "--replica-assignment")
        {
            Description = "Replica assignment among brokers, as a JSON object of partition ids to lists of broker ids, e.g. {\"0\": [1, 2], \"1\": [2, 3]}; then -p and -r must be unset",
        };
        var configs = new Option<string?>("--config_entries", "-c", "--config-entries")
        {
            Description = "Topic configuration, as a JSON object, e.g. {\"cleanup.policy\": \"compact\"}",
        };
        var validateOnly = new Option<bool>("--validate-only") { Description = "Only check that the topic could be created" };
        return Define("create_topic", "Create a topic.", async context =>
        {
            var name = context.Get(topicName);
            var topic = NewTopic(context, name, partitions, replication, assignment, configs);
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var options = new AdminRequestOptions { OperationTimeout = TimeSpan.FromMilliseconds(context.Get(timeout)), ValidateOnly = context.Get(validateOnly) };
            var result = (await client.Admin.CreateTopicsAsync([topic], options, context.CancellationToken).ConfigureAwait(false)).Single();
            return ReportTopicResult(context, result, options.ValidateOnly ? "validated" : "created");
        }, topicName, timeout, partitions, replication, assignment, configs, validateOnly);
    }

    private static NewTopic NewTopic(CommandContext context, string name, Option<int> partitions, Option<short> replication, Option<string?> assignment, Option<string?> configs)
    {
        var assigned = context.Get(assignment);
        var explicitCounts = context.Parse.GetResult(partitions) is { Implicit: false } || context.Parse.GetResult(replication) is { Implicit: false };
        if (assigned is not null && explicitCounts)
        {
            throw new ToolException(ExitCodes.Usage, "--replica_assignment sets the partitions and replicas: leave --num_partitions and --replication_factor unset.");
        }
        var topic = assigned is null
            ? new NewTopic(name) { Partitions = context.Get(partitions), ReplicationFactor = context.Get(replication) }
            : new NewTopic(name);
        if (assigned is not null)
        {
            foreach (var (partition, replicas) in ParseObject(assigned, "--replica_assignment"))
            {
                if (!int.TryParse(partition, out var id) || replicas is not JsonArray list)
                {
                    throw new ToolException(ExitCodes.Usage, $"--replica_assignment: '{partition}' must be a partition id with a list of broker ids.");
                }
                topic.ReplicaAssignment[id] = [.. list.Select(r => r!.GetValue<int>())];
            }
        }
        if (context.Get(configs) is { } entries)
        {
            foreach (var (key, value) in ParseObject(entries, "--config_entries"))
            {
                topic.Configs[key] = value?.ToString();
            }
        }
        return topic;
    }

    private static JsonObject ParseObject(string json, string option)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw new ToolException(ExitCodes.Usage, $"{option} must be a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new ToolException(ExitCodes.Usage, $"{option} is not valid JSON: {ex.Message}");
        }
    }

    private Command DeleteTopic()
    {
        var topicName = TopicArgument();
        var timeout = TimeoutOption();
        var yes = YesOption();
        return Define("delete_topic", "Delete a topic (asks for confirmation unless --yes).", async context =>
        {
            var name = context.Get(topicName);
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            CommandContext.ExistingTopic(client, name);
            if (!context.Confirm($"Delete topic {name} and all its messages?", context.Get(yes)))
            {
                context.Console.Error.WriteLine("Nothing deleted.");
                return ExitCodes.Refused;
            }
            var options = new AdminRequestOptions { OperationTimeout = TimeSpan.FromMilliseconds(context.Get(timeout)) };
            var result = (await client.Admin.DeleteTopicsAsync([name], options, context.CancellationToken).ConfigureAwait(false)).Single();
            return ReportTopicResult(context, result, "deleted");
        }, topicName, timeout, yes);
    }

    private static int ReportTopicResult(CommandContext context, TopicResult result, string done)
    {
        if (context.Json)
        {
            context.WriteJson(new JsonObject
            {
                ["topic"] = result.Name,
                [done] = result.Succeeded,
                ["error"] = result.Error is null ? null : KafkaErrors.GetName(result.Error.ErrorCode),
                ["message"] = result.Error?.Message,
            });
        }
        else if (result.Succeeded)
        {
            context.Line($"Topic {result.Name} {done}.");
        }
        if (result.Error is { } error)
        {
            context.Console.Error.WriteLine($"error: {error.Message}");
            return ExitCodes.Failed;
        }
        return ExitCodes.Ok;
    }
}
