using System.Xml.Linq;

namespace Kafka.Packaging.Tests.Support;

/// <summary>The repository these tests were built from.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>The one version of every package, from Directory.Build.props.</summary>
    public static string VersionPrefix { get; } = XDocument.Load(Path.Combine(Root, "Directory.Build.props"))
        .Descendants("VersionPrefix").Single().Value.Trim();

    /// <summary>The public repository the packages and SourceLink point at, from build/Packaging.props.</summary>
    public static string RepositoryUrl { get; } = XDocument.Load(Path.Combine(Root, "build", "Packaging.props"))
        .Descendants("KafkaHostingRepositoryUrl").Single().Value.Trim();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Kafka.Hosting.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Kafka.Hosting.sln above {AppContext.BaseDirectory}.");
    }
}
