using System.CommandLine;
using Kafka.Client;
using Kafka.Tools.Commands;

namespace Kafka.Tools;

/// <summary>
/// kafka-tools: pykafka's nine commands (consume_topic, desc_topic, print_managed_consumer_groups, print_consumer_lag,
/// print_offsets, print_topics, reset_offsets, create_topic, delete_topic) with their names and arguments, plus lag,
/// tail, describe_group and alter_config.
/// </summary>
internal static class KafkaTools
{
    /// <summary>Parses <paramref name="args"/>, runs the command, and returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, ToolConsole console, CancellationToken cancellationToken = default)
    {
        var connection = new ConnectionOptions();
        var root = new RootCommand("Tools for Kafka: topics, offsets, consumer groups, lag and configs (pykafka's kafka-tools for .NET).");
        connection.AddTo(root);
        var commands = new ToolCommands(connection, console);
        foreach (var command in commands.All())
        {
            root.Subcommands.Add(command);
        }
        var configuration = new InvocationConfiguration { Output = console.Output, Error = console.Error, EnableDefaultExceptionHandler = false };
        if (args.Length == 0)
        {
            // No command: show the help, as pykafka's does, and say so in the exit code.
            await root.Parse(["--help"]).InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await console.Error.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }
            await console.Error.WriteLineAsync("Run 'kafka-tools --help' (or 'kafka-tools COMMAND --help') for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (ToolException ex)
        {
            await console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("Interrupted.").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
        catch (Exception ex) when (IsAuthenticationFailure(ex))
        {
            await console.Error.WriteLineAsync($"error: the cluster refused the credentials: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.AuthenticationFailed;
        }
        catch (Exception ex) when (ex is NoBrokersAvailableException or KafkaConnectionException)
        {
            await console.Error.WriteLineAsync($"error: cannot reach the cluster: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Unreachable;
        }
        catch (KafkaException ex)
        {
            await console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Failed;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            await console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
    }

    // Every broker tried refused the client's SASL or TLS credentials: waiting or retrying will not help.
    private static bool IsAuthenticationFailure(Exception ex) => ex switch
    {
        KafkaAuthenticationException => true,
        NoBrokersAvailableException { Attempts.Count: > 0 } none => none.Attempts.All(a => a.Value is KafkaAuthenticationException),
        _ => false,
    };
}
