using System.Net;
using System.Net.Sockets;

namespace Kafka.Tools.Tests;

/// <summary>Help, usage errors and exit codes that need no cluster.</summary>
public sealed class CommandLineTests
{
    private static readonly string[] Commands =
    [
        "consume_topic", "desc_topic", "print_managed_consumer_groups", "print_consumer_lag", "print_offsets", "print_topics",
        "reset_offsets", "create_topic", "delete_topic", "lag", "tail", "describe_group", "alter_config",
    ];

    [Test]
    public async Task The_root_help_lists_every_command()
    {
        var run = await ToolRun.RunAsync("--help");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        foreach (var command in Commands)
        {
            Assert.That(run.Output, Does.Contain(command));
        }
    }

    [TestCaseSource(nameof(Commands))]
    public async Task Every_command_has_help(string command)
    {
        var run = await ToolRun.RunAsync(command, "--help");
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Output, Does.Contain("Usage:").And.Contain($" {command} ").And.Contain("--host").And.Contain("--json"));
    }

    [Test]
    public async Task Pykafka_argument_shapes_are_kept()
    {
        var lag = await ToolRun.RunAsync("print_consumer_lag", "--help");
        Assert.That(lag.Output, Does.Contain("<TOPIC> <CONSUMER_GROUP>"));
        var reset = await ToolRun.RunAsync("reset_offsets", "--help");
        Assert.That(reset.Output, Does.Contain("<TOPIC> <CONSUMER_GROUP> <OFFSET>").And.Contain("--dry-run").And.Contain("--force").And.Contain("--yes"));
        var create = await ToolRun.RunAsync("create_topic", "--help");
        Assert.That(create.Output, Does.Contain("-p, --num-partitions, --num_partitions").And.Contain("-r, --replication-factor, --replication_factor")
            .And.Contain("--replica_assignment").And.Contain("--config_entries").And.Contain("-t, --timeout"));
        var consume = await ToolRun.RunAsync("consume_topic", "--help");
        Assert.That(consume.Output, Does.Contain("-l, --limit").And.Contain("-o, --outfile"));
    }

    [Test]
    public async Task No_command_prints_the_help_with_a_usage_exit_code()
    {
        var run = await ToolRun.RunAsync();
        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Output, Does.Contain("Commands:"));
    }

    [TestCase("nonsense")]
    [TestCase("desc_topic")]
    [TestCase("print_offsets", "t")]
    [TestCase("print_topics", "--no-such-flag")]
    public async Task Usage_errors_exit_2_and_say_what_was_wrong(params string[] args)
    {
        var run = await ToolRun.RunAsync(args);
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(run.Error, Does.StartWith("error: "));
    }

    [Test]
    public async Task An_unreachable_cluster_exits_3()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var run = await ToolRun.RunAsync("print_topics", "--host", $"127.0.0.1:{port}");
        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.Error, Does.Contain("cannot reach the cluster").And.Contain($"127.0.0.1:{port}"));
    }

    [Test]
    public async Task A_missing_config_file_is_a_usage_error()
    {
        var run = await ToolRun.RunAsync("print_topics", "--config", "/no/such/appsettings.json");
        Assert.That(run.ExitCode, Is.EqualTo(2));
        Assert.That(run.Error, Does.Contain("/no/such/appsettings.json"));
    }
}
