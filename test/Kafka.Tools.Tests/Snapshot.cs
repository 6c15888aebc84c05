using System.Runtime.CompilerServices;

namespace Kafka.Tools.Tests;

/// <summary>
/// Output snapshots: the expected text of a command lives in Snapshots/NAME.txt next to the tests. Run the tests with
/// KAFKA_TOOLS_UPDATE_SNAPSHOTS=1 to write what the commands print instead (then review the diff).
/// </summary>
internal static class Snapshot
{
    public static void AssertMatches(string name, string actual, [CallerFilePath] string caller = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(caller)!, "Snapshots", name + ".txt");
        if (Environment.GetEnvironmentVariable("KAFKA_TOOLS_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.That(File.Exists(path), Is.True, $"No snapshot {path}: run with KAFKA_TOOLS_UPDATE_SNAPSHOTS=1 to create it.");
        Assert.That(actual, Is.EqualTo(File.ReadAllText(path)), $"Output differs from snapshot {name}");
    }
}
