namespace Kafka.Packaging.Tests.Support;

/// <summary>
/// A fresh worker service outside the repository (<c>dotnet new worker</c>), with the smoke worker's sources, that
/// gets Kafka.Hosting and Kafka.Hosting.Testing from the local feed only: a nuget.config maps those ids to the feed
/// and everything else (Microsoft.Extensions.*, Polly, librdkafka.redist ...) to nuget.org.
/// </summary>
internal sealed class WorkerProject : IDisposable
{
    public const string Name = "SmokeWorker";

    private WorkerProject(string root) => Root = root;

    /// <summary>The folder holding nuget.config and the project folder.</summary>
    public string Root { get; }

    public string ProjectDirectory => Path.Combine(Root, Name);

    public static async Task<WorkerProject> CreateAsync(PackedFeed feed)
    {
        var project = new WorkerProject(Path.Combine(Path.GetTempPath(), $"kafka-hosting-worker-{Guid.NewGuid():N}"));
        Directory.CreateDirectory(project.Root);
        await File.WriteAllTextAsync(Path.Combine(project.Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed.Directory}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="local">
                  <package pattern="Kafka.Hosting" />
                  <package pattern="Kafka.Hosting.*" />
                </packageSource>
                <packageSource key="nuget.org">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);

        var minutes = TimeSpan.FromMinutes(5);
        await Dotnet.RunAsync(project.Root, minutes, "new", "worker", "--name", Name, "--output", Name, "--no-restore");
        await Dotnet.RunAsync(project.ProjectDirectory, minutes, "add", "package", "Kafka.Hosting", "--version", feed.Version, "--no-restore");
        await Dotnet.RunAsync(project.ProjectDirectory, minutes, "add", "package", "Kafka.Hosting.Testing", "--version", feed.Version, "--no-restore");

        File.Delete(Path.Combine(project.ProjectDirectory, "Worker.cs"));
        var sources = Path.Combine(AppContext.BaseDirectory, "SmokeWorker");
        foreach (var file in new[] { "Program.cs", "appsettings.json" })
        {
            File.Copy(Path.Combine(sources, file), Path.Combine(project.ProjectDirectory, file), overwrite: true);
        }

        // Warnings are errors, and configuration is bound by the source generator (as native AOT requires).
        // Trimming and native AOT analyse every library assembly whole, not only the code this worker calls.
        var csproj = Path.Combine(project.ProjectDirectory, $"{Name}.csproj");
        var text = await File.ReadAllTextAsync(csproj);
        var at = text.IndexOf("</PropertyGroup>", StringComparison.Ordinal);
        Assert.That(at, Is.GreaterThan(0), text);
        text = text.Insert(at, """
              <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              <EnableConfigurationBindingGenerator>true</EnableConfigurationBindingGenerator>

            """);
        text = text.Replace("</Project>", """
              <ItemGroup>
                <TrimmerRootAssembly Include="Kafka.Client" />
                <TrimmerRootAssembly Include="Kafka.Hosting" />
                <TrimmerRootAssembly Include="Kafka.ZooKeeper" />
                <TrimmerRootAssembly Include="Kafka.Testing" />
              </ItemGroup>
            </Project>
            """, StringComparison.Ordinal);
        await File.WriteAllTextAsync(csproj, text);
        return project;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
