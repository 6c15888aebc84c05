using System.CommandLine;
using System.Text.Json.Nodes;
using Kafka.Client;
using Kafka.Client.Admin;

namespace Kafka.Tools.Commands;

internal sealed partial class ToolCommands
{
    private Command PrintManagedConsumerGroups()
    {
        var topicName = TopicArgument();
        return Define("print_managed_consumer_groups", "Get Kafka-managed consumer groups for a topic.", async context =>
        {
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var topic = CommandContext.ExistingTopic(client, context.Get(topicName));
            var groups = (await client.Cluster.GetManagedGroupDescriptionsAsync(context.CancellationToken).ConfigureAwait(false)).Values
                .Where(g => g.Members.Any(m => m.SubscribedTopics.Contains(topic.Name) || m.Assignment.Any(a => a.Topic == topic.Name)))
                .OrderBy(g => g.GroupId, StringComparer.Ordinal)
                .ToList();
            if (context.Json)
            {
                context.WriteJson(new JsonObject
                {
                    ["topic"] = topic.Name,
                    ["groups"] = new JsonArray([.. groups.Select(g => new JsonObject { ["group"] = g.GroupId, ["state"] = g.State, ["protocol"] = g.Protocol, ["protocolType"] = g.ProtocolType })]),
                });
                return ExitCodes.Ok;
            }
            context.Line($"Topic: {topic.Name}");
            context.Table(["GroupId", "State", "Protocol", "ProtocolType"], groups.Select(g => new[] { g.GroupId, g.State, g.Protocol, g.ProtocolType }));
            return ExitCodes.Ok;
        }, topicName);
    }

    private Command PrintConsumerLag()
    {
        var topicName = TopicArgument();
        var group = GroupArgument();
        return Define("print_consumer_lag", "Get consumer lag for a topic.", async context =>
        {
            var groupId = context.Get(group);
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var topic = CommandContext.ExistingTopic(client, context.Get(topicName));
            var lag = await client.Admin.GetConsumerLagAsync(groupId, [topic.Name], context.CancellationToken).ConfigureAwait(false);
            var owners = await OwnersAsync(client, groupId, context).ConfigureAwait(false);
            string Owner(PartitionLag p) => owners.GetValueOrDefault(p.Partition, "-");
            if (context.Json)
            {
                context.WriteJson(new JsonObject
                {
                    ["topic"] = topic.Name,
                    ["group"] = groupId,
                    ["totalLag"] = lag.TotalLag,
                    ["partitions"] = new JsonArray([.. lag.Partitions.Select(p => new JsonObject
                    {
                        ["partition"] = p.Partition.Partition,
                        ["lag"] = p.Lag,
                        ["latestOffset"] = p.EndOffset,
                        ["currentOffset"] = p.CommittedOffset,
                        ["consumerId"] = owners.GetValueOrDefault(p.Partition),
                    })]),
                });
                return ExitCodes.Ok;
            }
            context.Table(["Partition", "Lag", "Latest Offset", "Current Offset", "Consumer_ID"],
                lag.Partitions.Select(p => new[] { p.Partition.Partition.ToString(), p.Lag is { } l ? Number(l) : "-", p.EndOffset.ToString(), Show(p.CommittedOffset), Owner(p) }),
                0, 1, 2, 3);
            context.Line("");
            context.Line($" Total lag: {Number(lag.TotalLag)} messages.");
            return ExitCodes.Ok;
        }, topicName, group);
    }

    /// <summary>Which member holds each partition, from DescribeGroups; empty (with a note) when the brokers cannot say.</summary>
    private static async Task<Dictionary<TopicAndPartition, string>> OwnersAsync(KafkaClient client, string group, CommandContext context)
    {
        try
        {
            var description = (await client.Admin.DescribeGroupsAsync([group], context.CancellationToken).ConfigureAwait(false)).Single();
            return description.Members.SelectMany(m => m.Assignment.Select(a => (a, m.MemberId))).ToDictionary(x => x.a, x => x.MemberId);
        }
        catch (KafkaVersionException ex)
        {
            context.Console.Error.WriteLine($"note: consumer ids are not shown: {ex.Message}");
            return [];
        }
    }

    private Command Lag()
    {
        var groups = new Option<string[]>("--group", "-g") { Description = "Only these groups (repeatable) [default: every consumer group]", AllowMultipleArgumentsPerToken = true };
        var topics = new Option<string[]>("--topic") { Description = "Only these topics, every partition of them (repeatable) [default: every partition each group committed]", AllowMultipleArgumentsPerToken = true };
        return Define("lag", "Print the lag of every consumer group (or of --group), per partition.", async context =>
        {
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var asked = context.Get(groups) ?? [];
            var onTopics = context.Get(topics) is { Length: > 0 } t ? t : null;
            IReadOnlyList<ConsumerGroupLag> lags = asked.Length == 0 && onTopics is null
                ? await client.Admin.GetConsumerLagAsync(context.CancellationToken).ConfigureAwait(false)
                : [.. await Task.WhenAll((asked.Length > 0 ? asked : await ConsumerGroupsAsync(client, context).ConfigureAwait(false))
                    .Select(g => client.Admin.GetConsumerLagAsync(g, onTopics, context.CancellationToken))).ConfigureAwait(false)];
            if (context.Json)
            {
                context.WriteJson(new JsonArray([.. lags.Select(g => new JsonObject
                {
                    ["group"] = g.GroupId,
                    ["totalLag"] = g.TotalLag,
                    ["partitions"] = new JsonArray([.. g.Partitions.Select(p => new JsonObject
                    {
                        ["topic"] = p.Partition.Topic,
                        ["partition"] = p.Partition.Partition,
                        ["committedOffset"] = p.CommittedOffset,
                        ["endOffset"] = p.EndOffset,
                        ["lag"] = p.Lag,
                    })]),
                })]));
                return ExitCodes.Ok;
            }
            context.Table(["Group", "Topic", "Partition", "Committed Offset", "End Offset", "Lag"],
                lags.SelectMany(g => g.Partitions.Select(p => new[]
                {
                    g.GroupId, p.Partition.Topic, p.Partition.Partition.ToString(), Show(p.CommittedOffset), Show(p.EndOffset), p.Lag is { } l ? Number(l) : "-",
                })), 2, 3, 4, 5);
            foreach (var g in lags)
            {
                context.Line($"Total lag of {g.GroupId}: {Number(g.TotalLag)} messages.");
            }
            return ExitCodes.Ok;
        }, groups, topics);
    }

    private static async Task<string[]> ConsumerGroupsAsync(KafkaClient client, CommandContext context) =>
        [.. (await client.Admin.ListGroupsAsync(cancellationToken: context.CancellationToken).ConfigureAwait(false))
            .Where(g => g.ProtocolType is "consumer" or "").Select(g => g.GroupId)];

    private Command DescribeGroup()
    {
        var group = GroupArgument();
        return Define("describe_group", "Print a consumer group's state, protocol and members with their partitions.", async context =>
        {
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var description = (await client.Admin.DescribeGroupsAsync([context.Get(group)], context.CancellationToken).ConfigureAwait(false)).Single();
            if (description.Error is { } error)
            {
                context.Console.Error.WriteLine($"error: {error.Message}");
                return error.ErrorCode == KafkaErrorCode.GroupIdNotFound ? ExitCodes.Usage : ExitCodes.Failed;
            }
            if (context.Json)
            {
                context.WriteJson(new JsonObject
                {
                    ["group"] = description.GroupId,
                    ["state"] = description.State,
                    ["protocolType"] = description.ProtocolType,
                    ["protocol"] = description.Protocol,
                    ["coordinator"] = description.CoordinatorId,
                    ["members"] = new JsonArray([.. description.Members.Select(m => new JsonObject
                    {
                        ["memberId"] = m.MemberId,
                        ["groupInstanceId"] = m.GroupInstanceId,
                        ["clientId"] = m.ClientId,
                        ["clientHost"] = m.ClientHost,
                        ["assignment"] = new JsonArray([.. m.Assignment.Select(a => (JsonNode)a.ToString())]),
                    })]),
                });
                return ExitCodes.Ok;
            }
            context.Line($"Group: {description.GroupId}");
            context.Line($"State: {description.State}");
            context.Line($"Protocol: {(description.Protocol.Length == 0 ? "-" : description.Protocol)} ({(description.ProtocolType.Length == 0 ? "-" : description.ProtocolType)})");
            context.Line($"Coordinator: broker {description.CoordinatorId}");
            context.Table(["MemberId", "ClientId", "Host", "Partitions"],
                description.Members.Select(m => new[] { m.MemberId, m.ClientId, m.ClientHost, string.Join(", ", m.Assignment) }));
            return ExitCodes.Ok;
        }, group);
    }
}
