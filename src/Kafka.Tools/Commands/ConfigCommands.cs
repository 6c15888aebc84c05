using System.CommandLine;
using System.Text.Json.Nodes;
using Kafka.Client;
using Kafka.Client.Admin;

namespace Kafka.Tools.Commands;

internal sealed partial class ToolCommands
{
    private Command AlterConfig()
    {
        var topic = new Option<string?>("--topic") { Description = "The topic whose configuration to change" };
        var broker = new Option<int?>("--broker-id") { Description = "The broker whose configuration to change" };
        var set = new Option<string[]>("--set", "-s") { Description = "name=value to set (repeatable)", AllowMultipleArgumentsPerToken = true };
        var delete = new Option<string[]>("--delete", "-d") { Description = "name to remove, back to its default (repeatable)", AllowMultipleArgumentsPerToken = true };
        var validateOnly = new Option<bool>("--validate-only") { Description = "Only check that the change would be accepted" };
        return Define("alter_config", "Change configuration entries of a topic or a broker, leaving the others as they are.", async context =>
        {
            var resource = (context.Get(topic), context.Get(broker)) switch
            {
                ({ } name, null) => ConfigResource.ForTopic(name),
                (null, { } id) => ConfigResource.ForBroker(id),
                _ => throw new ToolException(ExitCodes.Usage, "Give exactly one of --topic and --broker-id."),
            };
            var changes = new List<ConfigChange>();
            foreach (var entry in context.Get(set) ?? [])
            {
                var equals = entry.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new ToolException(ExitCodes.Usage, $"--set {entry}: use name=value.");
                }
                changes.Add(ConfigChange.Set(entry[..equals], entry[(equals + 1)..]));
            }
            changes.AddRange((context.Get(delete) ?? []).Select(ConfigChange.Delete));
            if (changes.Count == 0)
            {
                throw new ToolException(ExitCodes.Usage, "Nothing to change: give --set name=value or --delete name.");
            }
            await using var client = await context.ConnectAsync().ConfigureAwait(false);
            var options = new AdminRequestOptions { ValidateOnly = context.Get(validateOnly) };
            var result = (await client.Admin.IncrementalAlterConfigsAsync(
                new Dictionary<ConfigResource, IReadOnlyList<ConfigChange>> { [resource] = changes }, options, context.CancellationToken).ConfigureAwait(false)).Single();
            if (context.Json)
            {
                context.WriteJson(new JsonObject
                {
                    ["resource"] = resource.ToString(),
                    ["changes"] = new JsonArray([.. changes.Select(c => new JsonObject { ["name"] = c.Name, ["operation"] = c.Operation.ToString(), ["value"] = c.Value })]),
                    ["validateOnly"] = options.ValidateOnly,
                    ["succeeded"] = result.Succeeded,
                    ["error"] = result.Error is null ? null : KafkaErrors.GetName(result.Error.ErrorCode),
                });
            }
            else if (result.Succeeded)
            {
                context.Line($"{(options.ValidateOnly ? "Validated" : "Changed")} {resource}: {string.Join(", ", changes.Select(c => c.Operation == ConfigOperation.Set ? $"{c.Name}={c.Value}" : $"{c.Name} removed"))}.");
            }
            if (result.Error is { } error)
            {
                context.Console.Error.WriteLine($"error: {error.Message}");
                return ExitCodes.Failed;
            }
            return ExitCodes.Ok;
        }, topic, broker, set, delete, validateOnly);
    }
}
