using Confluent.Kafka;
using static Kafka.Tools.Tests.ToolTestSupport;

namespace Kafka.Tools.Tests;

/// <summary>
/// Lag, group and offset commands. Committed offsets are the mock's own (written by Confluent.Kafka or by the tool);
/// group listings and descriptions come from <see cref="GroupsFixture"/>, which Confluent.Kafka reads too.
/// </summary>
public sealed class GroupCommandTests
{
    private static async Task<GroupsFixture> StartAsync()
    {
        var fixture = new GroupsFixture();
        fixture.Cluster.CreateTopic("orders", partitions: 2);
        await ProduceAsync(fixture.Cluster.BootstrapServers, "orders", 0, "a", "b", "c", "d", "e");
        await ProduceAsync(fixture.Cluster.BootstrapServers, "orders", 1, "f", "g");
        return fixture;
    }

    [Test]
    public async Task Print_consumer_lag_table_and_json()
    {
        await using var fixture = await StartAsync();
        using var consumer = GroupConsumer(fixture.Address, "billing");
        consumer.Commit([new TopicPartitionOffset("orders", 0, 1), new TopicPartitionOffset("orders", 1, 2)]);
        fixture.Groups.Add(new ScriptedGroup("billing", "Stable", ("member-1", "orders", [0, 1])));

        var table = await ToolRun.RunAsync("print_consumer_lag", "orders", "billing", "-b", fixture.Address);
        Assert.That(table.ExitCode, Is.EqualTo(0), table.ToString());
        Snapshot.AssertMatches("PrintConsumerLag", table.Output);
        var json = await ToolRun.RunAsync("print_consumer_lag", "orders", "billing", "-b", fixture.Address, "--json");
        Snapshot.AssertMatches("PrintConsumerLagJson", json.Output);
    }

    [Test]
    public async Task Lag_of_every_group_and_of_one()
    {
        await using var fixture = await StartAsync();
        using var billing = GroupConsumer(fixture.Address, "billing");
        billing.Commit([new TopicPartitionOffset("orders", 0, 3)]);
        using var audit = GroupConsumer(fixture.Address, "audit");
        audit.Commit([new TopicPartitionOffset("orders", 1, 0)]);
        fixture.Groups.Add(new ScriptedGroup("audit", "Empty"));
        fixture.Groups.Add(new ScriptedGroup("billing", "Empty"));

        // The mock answers OffsetFetch only for partitions named, so "every partition the group committed" (what a
        // broker answers) comes back empty here; the groups are still listed. Lag by topic is covered above.
        var all = await ToolRun.RunAsync("lag", "-b", fixture.Address, "--json");
        Assert.That(all.ExitCode, Is.EqualTo(0), all.ToString());
        Assert.That(all.Output, Does.Contain("\"group\": \"audit\"").And.Contain("\"group\": \"billing\""));
        var onTopic = await ToolRun.RunAsync("lag", "--topic", "orders", "-b", fixture.Address, "--json");
        Snapshot.AssertMatches("LagOnTopicJson", onTopic.Output);
        var one = await ToolRun.RunAsync("lag", "--group", "billing", "--topic", "orders", "-b", fixture.Address);
        Assert.That(one.ExitCode, Is.EqualTo(0), one.ToString());
        Snapshot.AssertMatches("LagOneGroup", one.Output);
    }

    [Test]
    public async Task Describe_group_and_managed_groups_agree_with_Confluent()
    {
        await using var fixture = await StartAsync();
        fixture.Groups.Add(new ScriptedGroup("billing", "Stable", ("member-1", "orders", [0]), ("member-2", "orders", [1])));
        fixture.Groups.Add(new ScriptedGroup("other", "Stable", ("member-3", "elsewhere", [0])));

        var table = await ToolRun.RunAsync("describe_group", "billing", "-b", fixture.Address);
        Assert.That(table.ExitCode, Is.EqualTo(0), table.ToString());
        Snapshot.AssertMatches("DescribeGroup", table.Output);
        var json = await ToolRun.RunAsync("describe_group", "billing", "-b", fixture.Address, "--json");
        Snapshot.AssertMatches("DescribeGroupJson", json.Output);
        var managed = await ToolRun.RunAsync("print_managed_consumer_groups", "orders", "-b", fixture.Address);
        Snapshot.AssertMatches("PrintManagedConsumerGroups", managed.Output);

        using var peer = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.Address }).SetLogHandler((_, _) => { }).Build();
        var described = (await peer.DescribeConsumerGroupsAsync(["billing"])).ConsumerGroupDescriptions.Single();
        Assert.That(described.State, Is.EqualTo(ConsumerGroupState.Stable));
        Assert.That(described.Members.Select(m => (m.ConsumerId, string.Join(",", m.Assignment.TopicPartitions.Select(tp => $"{tp.Topic}/{tp.Partition.Value}")))),
            Is.EqualTo(new[] { ("member-1", "orders/0"), ("member-2", "orders/1") }));
        var listed = await peer.ListConsumerGroupsAsync();
        Assert.That(listed.Valid.Select(g => g.GroupId).Order(), Is.EqualTo(new[] { "billing", "other" }));

        var unknown = await ToolRun.RunAsync("describe_group", "nobody", "-b", fixture.Address);
        Assert.That(unknown.ExitCode, Is.EqualTo(2));
        Assert.That(unknown.Error, Does.Contain("GROUP_ID_NOT_FOUND"));
    }

    [Test]
    public async Task Reset_offsets_dry_run_refusals_confirmation_and_reset()
    {
        await using var fixture = await StartAsync();
        using var consumer = GroupConsumer(fixture.Address, "billing");
        consumer.Commit([new TopicPartitionOffset("orders", 0, 4), new TopicPartitionOffset("orders", 1, 2)]);
        var hosts = fixture.Address;

        var dry = await ToolRun.RunAsync("reset_offsets", "orders", "billing", "EARLIEST", "--dry-run", "-b", hosts);
        Assert.That(dry.ExitCode, Is.EqualTo(0), dry.ToString());
        Snapshot.AssertMatches("ResetOffsetsDryRun", dry.Output);
        Assert.That(dry.Error, Is.EqualTo("Dry run: nothing changed.\n"));
        Assert.That(Committed(consumer, "orders", 0), Is.EqualTo(4));

        fixture.Groups.Add(new ScriptedGroup("billing", "Stable", ("member-1", "orders", [0, 1])));
        var live = await ToolRun.RunAsync("reset_offsets", "orders", "billing", "EARLIEST", "--yes", "-b", hosts);
        Assert.That(live.ExitCode, Is.EqualTo(4), live.ToString());
        Assert.That(live.Error, Does.Contain("Group billing has 1 live member(s) (state Stable): stop them first, or use --force. Nothing changed."));
        Assert.That(Committed(consumer, "orders", 0), Is.EqualTo(4));

        fixture.Groups.Clear();
        fixture.Groups.Add(new ScriptedGroup("billing", "Empty"));
        var declined = await ToolRun.RunWithInputAsync("no\n", "reset_offsets", "orders", "billing", "EARLIEST", "-b", hosts);
        Assert.That(declined.ExitCode, Is.EqualTo(4), declined.ToString());
        Assert.That(declined.Error, Does.Contain("Reset 2 partitions of group billing on topic orders? [y/N] Nothing changed."));
        Assert.That(Committed(consumer, "orders", 0), Is.EqualTo(4));

        var reset = await ToolRun.RunWithInputAsync("yes\n", "reset_offsets", "orders", "billing", "EARLIEST", "-b", hosts, "--json");
        Assert.That(reset.ExitCode, Is.EqualTo(0), reset.ToString());
        Snapshot.AssertMatches("ResetOffsetsJson", reset.Output);
        Assert.That((Committed(consumer, "orders", 0), Committed(consumer, "orders", 1)), Is.EqualTo((0L, 0L)), "Confluent reads the reset offsets");

        var latest = await ToolRun.RunAsync("reset_offsets", "orders", "billing", "latest", "--yes", "-b", hosts);
        Assert.That(latest.ExitCode, Is.EqualTo(0), latest.ToString());
        Assert.That((Committed(consumer, "orders", 0), Committed(consumer, "orders", 1)), Is.EqualTo((5L, 2L)));
    }

    [Test]
    public async Task Reset_offsets_refuses_when_live_members_cannot_be_checked_unless_forced()
    {
        // The plain mock does not serve DescribeGroups.
        await using var cluster = Start();
        cluster.CreateTopic("orders", partitions: 1);
        var refused = await ToolRun.RunAsync("reset_offsets", "orders", "g", "earliest", "--yes", "-b", cluster.BootstrapServers);
        Assert.That(refused.ExitCode, Is.EqualTo(4), refused.ToString());
        Assert.That(refused.Error, Does.Contain("Cannot tell whether group g has live members").And.Contain("DescribeGroups").And.Contain("--force"));
        var forced = await ToolRun.RunAsync("reset_offsets", "orders", "g", "earliest", "--yes", "--force", "-b", cluster.BootstrapServers);
        Assert.That(forced.ExitCode, Is.EqualTo(0), forced.ToString());
        Assert.That(forced.Output, Does.EndWith("Reset 1 partitions.\n"));
    }

    [Test]
    public async Task Alter_config_sends_the_changes_and_reports_them()
    {
        await using var fixture = await StartAsync();
        var run = await ToolRun.RunAsync("alter_config", "--topic", "orders", "--set", "retention.ms=1000", "--delete", "cleanup.policy", "-b", fixture.Address);
        Assert.That((run.ExitCode, run.Output), Is.EqualTo((0, "Changed topic:orders: retention.ms=1000, cleanup.policy removed.\n")), run.ToString());
        Assert.That(fixture.ConfigChanges, Has.Count.EqualTo(1));

        var both = await ToolRun.RunAsync("alter_config", "--topic", "orders", "--broker-id", "1", "--set", "a=b", "-b", fixture.Address);
        Assert.That(both.ExitCode, Is.EqualTo(2));
        var nothing = await ToolRun.RunAsync("alter_config", "--topic", "orders", "-b", fixture.Address);
        Assert.That(nothing.ExitCode, Is.EqualTo(2));

        await using var plain = Start();
        var unsupported = await ToolRun.RunAsync("alter_config", "--broker-id", "1", "--set", "log.retention.ms=1", "-b", plain.BootstrapServers);
        Assert.That(unsupported.ExitCode, Is.EqualTo(1), unsupported.ToString());
        Assert.That(unsupported.Error, Does.Contain("IncrementalAlterConfigs"));
    }
}
