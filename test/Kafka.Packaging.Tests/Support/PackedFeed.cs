using System.IO.Compression;
using Kafka.Packaging.Tests.Support;

// In the tests' root namespace, so that it packs once before any of them.
namespace Kafka.Packaging.Tests;

/// <summary>
/// The packages as build/pack.sh makes them, in a local folder feed. They get a version of their own
/// (<c>{VersionPrefix}-smoke.{stamp}</c>), so that no copy of an earlier pack in the NuGet cache can stand in for
/// them; the cache entries of that version are deleted when the tests end.
/// </summary>
[SetUpFixture]
public sealed class PackedFeed
{
    private static PackedFeed? s_current;

    /// <summary>The feed, packed once for every test of this assembly.</summary>
    internal static PackedFeed Current => s_current ?? throw new InvalidOperationException("The feed is packed by the set-up fixture.");

    internal string Directory { get; private set; } = "";
    internal string Version { get; private set; } = "";
    internal TimeSpan PackTime { get; private set; }

    /// <summary>Package ids in the feed (every .nupkg).</summary>
    internal IReadOnlyList<string> PackageIds => [.. System.IO.Directory.GetFiles(Directory, "*.nupkg")
        .Select(p => Path.GetFileName(p)[..^($".{Version}.nupkg".Length)]).Order(StringComparer.Ordinal)];

    [OneTimeSetUp]
    public async Task PackAsync()
    {
        Version = $"{Repository.VersionPrefix}-smoke.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        Directory = Path.Combine(Path.GetTempPath(), $"kafka-hosting-feed-{Guid.NewGuid():N}");
        var result = await Dotnet.BashAsync(Repository.Root, TimeSpan.FromMinutes(15), "build/pack.sh", new Dictionary<string, string?>
        {
            ["PACKAGE_VERSION"] = Version,
            ["PACKAGE_OUTPUT"] = Directory,
        });
        PackTime = result.Elapsed;
        s_current = this;
    }

    [OneTimeTearDown]
    public void Delete()
    {
        if (Directory.Length == 0)
        {
            return;
        }
        foreach (var id in System.IO.Directory.Exists(Directory) ? PackageIds : [])
        {
            var idFolder = Path.Combine(GlobalPackagesFolder(), id.ToLowerInvariant());
            var cached = Path.Combine(idFolder, Version.ToLowerInvariant());
            if (System.IO.Directory.Exists(cached))
            {
                System.IO.Directory.Delete(cached, recursive: true);
            }
            if (System.IO.Directory.Exists(idFolder) && !System.IO.Directory.EnumerateFileSystemEntries(idFolder).Any())
            {
                System.IO.Directory.Delete(idFolder);
            }
        }
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    /// <summary>The path of a package (or with <paramref name="symbols"/>, its .snupkg) in the feed.</summary>
    internal string PathOf(string id, bool symbols = false) =>
        Path.Combine(Directory, $"{id}.{Version}.{(symbols ? "snupkg" : "nupkg")}");

    /// <summary>Reads one entry of a package as text.</summary>
    internal string ReadEntry(string id, string entry, bool symbols = false)
    {
        using var zip = ZipFile.OpenRead(PathOf(id, symbols));
        var found = zip.GetEntry(entry) ?? throw new AssertionException($"{id} has no {entry}; it has: {string.Join(", ", zip.Entries.Select(e => e.FullName))}");
        using var reader = new StreamReader(found.Open());
        return reader.ReadToEnd();
    }

    /// <summary>Every entry name of a package.</summary>
    internal IReadOnlyList<string> Entries(string id, bool symbols = false)
    {
        using var zip = ZipFile.OpenRead(PathOf(id, symbols));
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    private static string GlobalPackagesFolder()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        return string.IsNullOrEmpty(packages)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")
            : packages;
    }
}
