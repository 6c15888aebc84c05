using static Kafka.Tools.Tests.ToolTestSupport;

namespace Kafka.Tools.Tests;

/// <summary>consume_topic and tail against the mock cluster.</summary>
public sealed class ConsumeCommandTests
{
    [Test]
    public async Task Consume_topic_writes_values_to_stdout_or_a_file()
    {
        await using var cluster = Start();
        cluster.CreateTopic("t", partitions: 1);
        await ProduceAsync(cluster.BootstrapServers, "t", 0, "one", "two", "three", "four");

        var run = await ToolRun.RunAsync("consume_topic", "t", "--from", "earliest", "-l", "3", "-b", cluster.BootstrapServers);
        Assert.That((run.ExitCode, run.Output), Is.EqualTo((0, "one\ntwo\nthree\n")), run.ToString());

        var file = Path.Combine(TestContext.CurrentContext.WorkDirectory, $"consumed.{Guid.NewGuid():N}.txt");
        try
        {
            var toFile = await ToolRun.RunAsync("consume_topic", "t", "--from", "EARLIEST", "--limit", "4", "-o", file, "-b", cluster.BootstrapServers);
            Assert.That(toFile.ExitCode, Is.EqualTo(0), toFile.ToString());
            Assert.That(await File.ReadAllTextAsync(file), Is.EqualTo("one\ntwo\nthree\nfour\n"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Tail_follows_new_messages_with_their_positions()
    {
        await using var cluster = Start();
        cluster.CreateTopic("t", partitions: 1);
        await ProduceAsync(cluster.BootstrapServers, "t", 0, "old");

        // From the end: only what is produced after the tail started.
        var tail = ToolRun.RunAsync("tail", "t", "-l", "2", "-b", cluster.BootstrapServers);
        var produced = 0;
        await WaitUntilAsync(async () =>
        {
            await ProduceAsync(cluster.BootstrapServers, "t", 0, $"new-{produced++}");
            return tail.IsCompleted;
        }, "the tail to end after two messages produced once it started");
        var run = await tail;
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines.All(l => l.StartsWith("0/", StringComparison.Ordinal) && l.Contains("\tnew-", StringComparison.Ordinal)), Is.True, run.Output);

        var json = await ToolRun.RunAsync("tail", "t", "--from", "earliest", "-l", "1", "-b", cluster.BootstrapServers, "--json");
        Assert.That(json.Output, Does.StartWith("{\"partition\":0,\"offset\":0,\"timestamp\":\"").And.EndWith("\"key\":null,\"value\":\"old\"}\n"));
    }
}
