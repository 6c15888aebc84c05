using System.Reflection.Metadata;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Kafka.Packaging.Tests.Support;

namespace Kafka.Packaging.Tests;

/// <summary>What build/pack.sh puts in each package: metadata, README, docs, symbols with SourceLink, dependencies.</summary>
[TestFixture]
public sealed partial class PackageContentsTests
{
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    /// <summary>Every library under src/ (one with public API files), by package id: new ones are checked too.</summary>
    private static IEnumerable<string> LibraryPackages() => Directory.GetDirectories(Path.Combine(Repository.Root, "src"))
        .Where(d => File.Exists(Path.Combine(d, "PublicAPI.Shipped.txt")))
        .Select(d => PackageId(Path.GetFileName(d)))
        .Order(StringComparer.Ordinal);

    [Test]
    public void Every_package_id_starts_with_Kafka_Hosting_and_every_library_is_packed()
    {
        var ids = PackedFeed.Current.PackageIds;
        Assert.That(LibraryPackages(), Is.SupersetOf(new[] { "Kafka.Hosting", "Kafka.Hosting.Client", "Kafka.Hosting.Testing", "Kafka.Hosting.ZooKeeper" }));
        Assert.That(ids, Is.SupersetOf(LibraryPackages()));
        Assert.That(ids, Has.All.Matches<string>(id => id == "Kafka.Hosting" || id.StartsWith("Kafka.Hosting.", StringComparison.Ordinal)));
        Assert.That(ids.Select(id => File.Exists(PackedFeed.Current.PathOf(id, symbols: true))), Has.All.True, "a .snupkg beside each .nupkg");
    }

    [TestCaseSource(nameof(LibraryPackages))]
    public async Task The_nuspec_names_licence_readme_repository_commit_and_pins_sibling_packages(string id)
    {
        var feed = PackedFeed.Current;
        var metadata = Nuspec(id);
        string Value(string name) => metadata.Element(metadata.Name.Namespace + name)?.Value ?? "";

        Assert.That(Value("id"), Is.EqualTo(id));
        Assert.That(Value("version"), Is.EqualTo(feed.Version));
        Assert.That(Value("license"), Is.EqualTo("Apache-2.0"));
        Assert.That(Value("description"), Has.Length.GreaterThan(40));
        Assert.That(Value("tags").Split(' '), Does.Contain("kafka").Or.Contain("zookeeper"));
        Assert.That(Value("readme"), Is.EqualTo("README.md"));
        Assert.That(feed.ReadEntry(id, "README.md"), Does.StartWith($"# {id}\n").And.Contain($"dotnet add package {id}"));
        Assert.That(Value("projectUrl"), Is.EqualTo(Repository.RepositoryUrl));

        var repository = metadata.Element(metadata.Name.Namespace + "repository")!;
        Assert.That(repository.Attribute("type")?.Value, Is.EqualTo("git"));
        Assert.That(repository.Attribute("url")?.Value, Is.EqualTo(Repository.RepositoryUrl));
        Assert.That(repository.Attribute("commit")?.Value, Is.EqualTo(await HeadCommitAsync()));

        var dependencies = metadata.Descendants(metadata.Name.Namespace + "dependency").ToList();
        Assert.That(dependencies, Is.Not.Empty);
        foreach (var sibling in dependencies.Where(d => d.Attribute("id")!.Value.StartsWith("Kafka.Hosting", StringComparison.Ordinal)))
        {
            Assert.That(sibling.Attribute("version")?.Value, Is.EqualTo($"[{feed.Version}]"), $"{id} -> {sibling.Attribute("id")!.Value} at exactly its own version");
        }
    }

    [TestCaseSource(nameof(LibraryPackages))]
    public void The_package_holds_the_assembly_and_its_xml_docs_and_nothing_else_but_metadata(string id)
    {
        var entries = PackedFeed.Current.Entries(id);
        var payload = entries.Where(e => !e.StartsWith("_rels/", StringComparison.Ordinal) && !e.StartsWith("package/", StringComparison.Ordinal)
            && e != "[Content_Types].xml" && e != $"{id}.nuspec" && e != "README.md").ToList();
        var assembly = AssemblyName(id);
        Assert.That(payload, Is.EquivalentTo(new[] { $"lib/net10.0/{assembly}.dll", $"lib/net10.0/{assembly}.xml" }));
    }

    [TestCaseSource(nameof(LibraryPackages))]
    public async Task The_symbol_package_has_a_portable_pdb_whose_SourceLink_points_at_the_commit(string id)
    {
        var feed = PackedFeed.Current;
        var assembly = AssemblyName(id);
        Assert.That(feed.Entries(id, symbols: true), Does.Contain($"lib/net10.0/{assembly}.pdb"));

        using var zip = System.IO.Compression.ZipFile.OpenRead(feed.PathOf(id, symbols: true));
        using var pdb = new MemoryStream();
        await using (var entry = zip.GetEntry($"lib/net10.0/{assembly}.pdb")!.Open())
        {
            await entry.CopyToAsync(pdb);
        }
        pdb.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var reader = provider.GetMetadataReader();
        var sourceLink = reader.CustomDebugInformation
            .Select(reader.GetCustomDebugInformation)
            .Where(c => reader.GetGuid(c.Kind) == SourceLinkKind)
            .Select(c => System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(c.Value)))
            .SingleOrDefault();
        Assert.That(sourceLink, Is.Not.Null, "the PDB carries SourceLink");

        var owner = new Uri(Repository.RepositoryUrl).AbsolutePath.Trim('/');
        Assert.That(sourceLink, Does.Contain($"https://raw.githubusercontent.com/{owner}/{await HeadCommitAsync()}/*"));
        Assert.That(reader.Documents.Count, Is.GreaterThan(5), "the PDB lists the sources");
    }

    [Test]
    public void Kafka_Hosting_Testing_declares_its_native_dependency_and_its_platforms()
    {
        var metadata = Nuspec("Kafka.Hosting.Testing");
        var dependencies = metadata.Descendants(metadata.Name.Namespace + "dependency").Select(d => d.Attribute("id")!.Value);
        Assert.That(dependencies, Does.Contain("librdkafka.redist"));
        var readme = PackedFeed.Current.ReadEntry("Kafka.Hosting.Testing", "README.md");
        Assert.That(readme, Does.Contain("librdkafka.redist").And.Contain("linux-x64").And.Contain("osx-arm64").And.Contain("win-x64"));
    }

    private static XElement Nuspec(string id)
    {
        var document = XDocument.Parse(PackedFeed.Current.ReadEntry(id, $"{id}.nuspec"));
        return document.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    /// <summary>Project Kafka.X is package Kafka.Hosting.X; Kafka.Hosting and Kafka.Hosting.* keep their names.</summary>
    private static string PackageId(string project) =>
        project.StartsWith("Kafka.Hosting", StringComparison.Ordinal) ? project : "Kafka.Hosting." + project["Kafka.".Length..];

    /// <summary>Assemblies keep their project's name.</summary>
    private static string AssemblyName(string id) => Directory.GetDirectories(Path.Combine(Repository.Root, "src"))
        .Select(Path.GetFileName).Single(project => PackageId(project!) == id)!;

    private static async Task<string> HeadCommitAsync()
    {
        var result = await ProcessRunner.RunAsync("git", ["rev-parse", "HEAD"], Repository.Root, TimeSpan.FromMinutes(1));
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var commit = result.Output.Trim();
        Assert.That(CommitPattern().IsMatch(commit), commit);
        return commit;
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
