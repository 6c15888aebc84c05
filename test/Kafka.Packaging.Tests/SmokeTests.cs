using Kafka.Packaging.Tests.Support;

namespace Kafka.Packaging.Tests;

/// <summary>
/// A user's first hour, from the packages alone: a fresh worker service outside the solution references Kafka.Hosting
/// and Kafka.Hosting.Testing from the local feed, builds with warnings as errors, and runs against an in-process mock
/// cluster: it produces, consumes through a hosted consumer, and stops cleanly.
/// </summary>
[TestFixture]
public sealed class SmokeTests
{
    [Test]
    public async Task A_worker_built_from_the_packages_produces_consumes_through_a_hosted_consumer_and_stops_cleanly()
    {
        using var worker = await WorkerProject.CreateAsync(PackedFeed.Current);
        await Dotnet.RunAsync(worker.ProjectDirectory, TimeSpan.FromMinutes(10), "build", "-c", "Release", "-warnaserror");

        var restored = await File.ReadAllTextAsync(Path.Combine(worker.ProjectDirectory, "obj", "project.assets.json"));
        Assert.That(restored, Does.Contain($"\"Kafka.Hosting.Client/{PackedFeed.Current.Version}\""), "the client came in as a package");
        Assert.That(restored, Does.Not.Contain("\"type\": \"project\""), "no project references");

        var runId = $"jit{Guid.NewGuid():N}";
        var run = await ProcessRunner.RunAsync(
            "dotnet",
            [Path.Combine("bin", "Release", "net10.0", $"{WorkerProject.Name}.dll"), $"--Smoke:RunId={runId}", "--Smoke:Count=20"],
            worker.ProjectDirectory,
            TimeSpan.FromMinutes(5));
        TestContext.Progress.WriteLine($"  worker run: {run.Elapsed.TotalSeconds:0.0} s");

        WorkerOutput.AssertCleanRun(run, expected: Enumerable.Range(0, 20).Select(i => $"{runId}-{i}"));
        Assert.That(run.Output, Does.Contain("smoke: embedded cluster at 127.0.0.1:"), "the mock cluster came from Kafka.Hosting.Testing");
    }
}
