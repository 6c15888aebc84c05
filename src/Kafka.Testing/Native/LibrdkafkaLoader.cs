using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Kafka.Testing.Native;

/// <summary>
/// Finds and loads the librdkafka shipped by the librdkafka.redist package, and answers this assembly's
/// <see cref="LibrdkafkaNative.LibraryName"/> imports with it.
/// </summary>
internal static class LibrdkafkaLoader
{
    private const string RedistPackageId = "librdkafka.redist";

    private static readonly Lock Gate = new();
    private static nint s_handle;
    private static string? s_loadedPath;
    private static bool s_resolverRegistered;

    /// <summary>The full path of the loaded library, once <see cref="EnsureLoaded"/> has succeeded.</summary>
    internal static string? LoadedPath => Volatile.Read(ref s_loadedPath);

    /// <summary>
    /// Loads librdkafka if it is not loaded yet and routes this assembly's imports to it.
    /// Throws <see cref="DllNotFoundException"/> listing every file tried when none loads.
    /// </summary>
    internal static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (s_handle != 0)
            {
                return;
            }

            if (!s_resolverRegistered)
            {
                NativeLibrary.SetDllImportResolver(typeof(LibrdkafkaLoader).Assembly, Resolve);
                s_resolverRegistered = true;
            }

            (s_handle, string path) = Load();
            Volatile.Write(ref s_loadedPath, path);
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (libraryName != LibrdkafkaNative.LibraryName)
        {
            return 0;
        }

        // Normally loaded already by EnsureLoaded; this covers an import reached some other way.
        EnsureLoaded();
        return s_handle;
    }

    private static (nint Handle, string Path) Load()
    {
        var failures = new StringBuilder();
        var tried = new HashSet<string>(StringComparer.Ordinal);
        foreach (string directory in CandidateDirectories())
        {
            foreach (string fileName in CandidateFileNames())
            {
                string path = Path.GetFullPath(Path.Combine(directory, fileName));
                if (!tried.Add(path))
                {
                    continue;
                }

                if (!File.Exists(path))
                {
                    failures.Append("\n  ").Append(path).Append(": not found");
                    continue;
                }

                try
                {
                    return (NativeLibrary.Load(path), path);
                }
                catch (DllNotFoundException ex)
                {
                    // Typically a missing dependency (librdkafka.so needs libsasl2.so.3); the next name may not need it.
                    failures.Append("\n  ").Append(path).Append(": ").Append(ex.Message);
                }
                catch (BadImageFormatException ex)
                {
                    failures.Append("\n  ").Append(path).Append(": ").Append(ex.Message);
                }
            }
        }

        throw new DllNotFoundException(
            $"Kafka.Testing could not load librdkafka for {RuntimeIdentifier()} (it comes from the {RedistPackageId} NuGet package, " +
            $"which a project referencing Kafka.Testing copies to runtimes/{RuntimeIdentifier()}/native/ in its output folder). Tried:{failures}");
    }

    /// <summary>The RID folder name the redist package uses for this process.</summary>
    internal static string RuntimeIdentifier()
    {
        string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        string arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            Architecture.S390x => "s390x",
            var other => other.ToString().ToLowerInvariant(),
        };
        return os + "-" + arch;
    }

    private static IEnumerable<string> CandidateFileNames()
    {
        if (OperatingSystem.IsWindows())
        {
            return ["librdkafka.dll"];
        }

        if (OperatingSystem.IsMacOS())
        {
            return ["librdkafka.dylib"];
        }

        // The redist ships musl builds as alpine-librdkafka.so in the linux-* folders.
        bool musl = RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal) || File.Exists("/etc/alpine-release");
        // librdkafka.so links libsasl2.so.3, absent on a fresh Debian; the centos8 build links only glibc.
        return musl
            ? ["alpine-librdkafka.so", "librdkafka.so"]
            : ["librdkafka.so", "centos8-librdkafka.so"];
    }

    [UnconditionalSuppressMessage("SingleFile", "IL3000", Justification = "An empty location (single-file app) is skipped; AppContext.BaseDirectory is probed first.")]
    private static string? AssemblyDirectory()
    {
        string location = typeof(LibrdkafkaLoader).Assembly.Location;
        return string.IsNullOrEmpty(location) ? null : Path.GetDirectoryName(location);
    }

    private static IEnumerable<string> CandidateDirectories()
    {
        string rid = RuntimeIdentifier();
        string nativeFolder = Path.Combine("runtimes", rid, "native");

        // Where the SDK copies the package's native assets in an application's (or a test project's) output.
        string baseDirectory = AppContext.BaseDirectory;
        yield return Path.Combine(baseDirectory, nativeFolder);
        yield return baseDirectory;

        // Next to this assembly, when it is not in the application folder (a plugin, a shadow copy).
        if (AssemblyDirectory() is { } assemblyDirectory)
        {
            yield return Path.Combine(assemblyDirectory, nativeFolder);
        }

        // Last resort: the NuGet package cache, the version this assembly was built against first.
        string? packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(packages))
        {
            packages = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        string redist = Path.Combine(packages, RedistPackageId);
        string? builtWith = typeof(LibrdkafkaLoader).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "LibrdkafkaRedistVersion")?.Value;
        if (!string.IsNullOrEmpty(builtWith))
        {
            yield return Path.Combine(redist, builtWith, nativeFolder);
        }

        if (Directory.Exists(redist))
        {
            foreach (string versionDirectory in Directory.EnumerateDirectories(redist)
                .OrderByDescending(d => Version.TryParse(Path.GetFileName(d), out var v) ? v : new Version(0, 0)))
            {
                yield return Path.Combine(versionDirectory, nativeFolder);
            }
        }
    }
}
