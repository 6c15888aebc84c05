using Kafka.Testing;
using static Kafka.Tools.Tests.ToolTestSupport;

namespace Kafka.Tools.Tests;

/// <summary>The topic and offset commands against the mock cluster, with output snapshots.</summary>
public sealed class TopicCommandTests
{
    [Test]
    public async Task Print_topics_table_and_json()
    {
        await using var cluster = Start();
        cluster.CreateTopic("orders", partitions: 3);
        cluster.CreateTopic("audit", partitions: 1);

        var table = await ToolRun.RunAsync("print_topics", "--host", cluster.BootstrapServers);
        Assert.That(table.ExitCode, Is.EqualTo(0), table.ToString());
        Snapshot.AssertMatches("PrintTopics", table.Output);

        var json = await ToolRun.RunAsync("print_topics", "--host", cluster.BootstrapServers, "--json");
        Snapshot.AssertMatches("PrintTopicsJson", json.Output);
    }

    [Test]
    public async Task Desc_topic_table_and_json()
    {
        await using var cluster = Start();
        cluster.CreateTopic("orders", partitions: 2);

        var table = await ToolRun.RunAsync("desc_topic", "orders", "-b", cluster.BootstrapServers);
        Assert.That(table.ExitCode, Is.EqualTo(0), table.ToString());
        Snapshot.AssertMatches("DescTopic", table.Output);
        var json = await ToolRun.RunAsync("desc_topic", "orders", "-b", cluster.BootstrapServers, "--json");
        Snapshot.AssertMatches("DescTopicJson", json.Output);

        var missing = await ToolRun.RunAsync("desc_topic", "nope", "-b", cluster.BootstrapServers);
        Assert.That(missing.ExitCode, Is.EqualTo(2));
        Assert.That(missing.Error, Is.EqualTo("error: Topic nope does not exist.\n"));
    }

    [Test]
    public async Task A_config_file_with_the_Kafka_section_is_used()
    {
        await using var cluster = Start();
        cluster.CreateTopic("from-config", partitions: 1);
        var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"appsettings.{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, $$"""{ "Kafka": { "Hosts": "{{cluster.BootstrapServers}}", "SocketTimeout": "00:00:05" } }""");
        try
        {
            var run = await ToolRun.RunAsync("print_topics", "--config", file);
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
            Assert.That(run.Output, Does.Contain("from-config"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Print_offsets_earliest_latest_and_by_time()
    {
        await using var cluster = Start();
        cluster.CreateTopic("t", partitions: 2);
        await ProduceAsync(cluster.BootstrapServers, "t", 0, "a", "b", "c");
        await ProduceAsync(cluster.BootstrapServers, "t", 1, "d");

        var latest = await ToolRun.RunAsync("print_offsets", "t", "LATEST", "-b", cluster.BootstrapServers, "--json");
        Snapshot.AssertMatches("PrintOffsetsLatestJson", latest.Output);
        var earliest = await ToolRun.RunAsync("print_offsets", "t", "earliest", "-b", cluster.BootstrapServers);
        Snapshot.AssertMatches("PrintOffsetsEarliest", earliest.Output);
        var future = await ToolRun.RunAsync("print_offsets", "t", "2999-01-01T00:00:00", "-b", cluster.BootstrapServers, "--json");
        Snapshot.AssertMatches("PrintOffsetsLatestJson", future.Output);
        var bad = await ToolRun.RunAsync("print_offsets", "t", "yesterday", "-b", cluster.BootstrapServers);
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.Error, Does.Contain("'yesterday' is not an offset"));
    }

    [Test]
    public async Task Create_topic_and_delete_topic_end_to_end_through_the_mock()
    {
        await using var cluster = Start(serveTopicAdmin: true);
        var hosts = cluster.BootstrapServers;

        var created = await ToolRun.RunAsync("create_topic", "orders", "-p", "3", "-r", "1", "-c", """{"cleanup.policy": "compact"}""", "-b", hosts);
        Assert.That((created.ExitCode, created.Output), Is.EqualTo((0, "Topic orders created.\n")), created.ToString());
        var described = await ToolRun.RunAsync("desc_topic", "orders", "-b", hosts);
        Assert.That(described.Output, Does.Contain("Partitions: 3"));

        var again = await ToolRun.RunAsync("create_topic", "orders", "-b", hosts, "--json");
        Assert.That(again.ExitCode, Is.EqualTo(1));
        Assert.That(again.Output, Does.Contain("\"error\": \"TOPIC_ALREADY_EXISTS\""));
        Assert.That(again.Error, Does.Contain("Creating topic 'orders' failed: TOPIC_ALREADY_EXISTS"));

        var assigned = await ToolRun.RunAsync("create_topic", "placed", "-a", """{"0": [1], "1": [1]}""", "-b", hosts);
        Assert.That(assigned.ExitCode, Is.EqualTo(0), assigned.ToString());
        var both = await ToolRun.RunAsync("create_topic", "x", "-a", """{"0": [1]}""", "-p", "2", "-b", hosts);
        Assert.That(both.ExitCode, Is.EqualTo(2));
        var badJson = await ToolRun.RunAsync("create_topic", "x", "-c", "{not json", "-b", hosts);
        Assert.That(badJson.ExitCode, Is.EqualTo(2));
        Assert.That(badJson.Error, Does.Contain("--config_entries is not valid JSON"));

        var declined = await ToolRun.RunWithInputAsync("n\n", "delete_topic", "orders", "-b", hosts);
        Assert.That(declined.ExitCode, Is.EqualTo(4), declined.ToString());
        Assert.That(declined.Error, Is.EqualTo("Delete topic orders and all its messages? [y/N] Nothing deleted.\n"));
        Assert.That((await ToolRun.RunAsync("desc_topic", "orders", "-b", hosts)).ExitCode, Is.EqualTo(0), "still there");

        var noAnswer = await ToolRun.RunWithInputAsync("", "delete_topic", "orders", "-b", hosts);
        Assert.That(noAnswer.ExitCode, Is.EqualTo(4), "no answer is no");

        var confirmed = await ToolRun.RunWithInputAsync("y\n", "delete_topic", "orders", "-b", hosts);
        Assert.That((confirmed.ExitCode, confirmed.Output), Is.EqualTo((0, "Topic orders deleted.\n")), confirmed.ToString());
        Assert.That((await ToolRun.RunAsync("desc_topic", "orders", "-b", hosts)).ExitCode, Is.EqualTo(2), "gone");

        var yes = await ToolRun.RunAsync("delete_topic", "placed", "--yes", "-b", hosts, "--json");
        Assert.That(yes.ExitCode, Is.EqualTo(0));
        Assert.That(yes.Output, Is.EqualTo("{\n  \"topic\": \"placed\",\n  \"deleted\": true,\n  \"error\": null,\n  \"message\": null\n}\n"));
    }
}
