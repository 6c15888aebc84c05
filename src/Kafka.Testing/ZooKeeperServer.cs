using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kafka.Testing.Internal;

namespace Kafka.Testing;

/// <summary>
/// A real ZooKeeper 3.8 server for tests: Debian's ZooKeeper jars (under /usr/share/java) run by <c>java</c> as a
/// standalone server on a free loopback port, with its data in a temporary folder.
/// </summary>
/// <remarks>
/// <para>
/// The server ticks every <see cref="TickTime"/> (500 ms by default, so sessions may be as short as two ticks, 1 s)
/// and grants sessions up to 60 s. It answers every four-letter command (<see cref="SendCommandAsync"/>).
/// <see cref="StopAsync"/> and <see cref="StartAsync"/> restart it on the same port with the same data, so that
/// clients can reconnect and resume their sessions; <see cref="KillAsync"/> ends it abruptly. Disposal kills the process
/// and deletes the data folder.
/// </para>
/// <para>
/// Needs <c>java</c> (on PATH or under JAVA_HOME) and Debian's <c>zookeeper</c> package; <c>build/setup.sh</c>
/// installs both. The server's log is <c>zookeeper.log</c> in <see cref="RootDirectory"/>.
/// </para>
/// <code>
/// await using var server = new ZooKeeperServer();
/// await server.StartAsync();
/// var options = new ZooKeeperClientOptions { ConnectString = server.ConnectString };
/// </code>
/// </remarks>
public sealed class ZooKeeperServer : IAsyncDisposable
{
    /// <summary>Where Debian installs the ZooKeeper jars and their dependencies.</summary>
    public const string JavaLibraryDirectory = "/usr/share/java";

    private const string MainClass = "org.apache.zookeeper.server.ZooKeeperServerMain";
    private const int LogTailLines = 40;
    private static readonly string[] RequiredJars =
        ["zookeeper.jar", "zookeeper-jute.jar", "slf4j-api.jar", "slf4j-simple.jar", "commons-cli.jar", "metrics-core.jar", "snappy-java.jar"];

    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly ConcurrentQueue<string> _outputTail = new();
    private Process? _process;
    private bool _disposed;

    /// <summary>Prepares a server; nothing runs until <see cref="StartAsync"/>.</summary>
    /// <param name="tickTime">ZooKeeper's tick (default 500 ms); the shortest session it grants is two ticks.</param>
    /// <param name="startTimeout">How long <see cref="StartAsync"/> waits for the server to answer (default 60 s).</param>
    public ZooKeeperServer(TimeSpan? tickTime = null, TimeSpan? startTimeout = null)
    {
        TickTime = tickTime ?? TimeSpan.FromMilliseconds(500);
        StartTimeout = startTimeout ?? TimeSpan.FromSeconds(60);
        if (TickTime < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(tickTime), tickTime, "The tick must be at least 1 ms.");
        }
        RootDirectory = Path.Combine(Path.GetTempPath(), "kafka-testing-zookeeper-" + Guid.NewGuid().ToString("N")[..12]);
        DataDirectory = Path.Combine(RootDirectory, "data");
    }

    /// <summary>ZooKeeper's tick; sessions may last from two to 120 ticks (capped at 60 s).</summary>
    public TimeSpan TickTime { get; }

    /// <summary>How long <see cref="StartAsync"/> waits for the server to answer.</summary>
    public TimeSpan StartTimeout { get; }

    /// <summary>The loopback port the server listens on (0 before the first start); it stays the same across restarts.</summary>
    public int Port { get; private set; }

    /// <summary>The connect string of the server: <c>"127.0.0.1:port"</c>.</summary>
    public string ConnectString => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>The temporary folder holding the configuration, the log and <see cref="DataDirectory"/>.</summary>
    public string RootDirectory { get; }

    /// <summary>The server's data folder (snapshots and transaction logs); kept across restarts.</summary>
    public string DataDirectory { get; }

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Starts the server (again, after <see cref="StopAsync"/> or <see cref="KillAsync"/>, on the same port with the
    /// same data) and waits until it answers the <c>srvr</c> command. Does nothing if it is running.
    /// </summary>
    /// <exception cref="InvalidOperationException">java or the ZooKeeper jars are missing, or the server did not start in time.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (IsRunning)
            {
                return;
            }
            var java = FindJava();
            var classPath = BuildClassPath();
            var firstStart = Port == 0;
            // A free port can be taken between choosing it and the server binding it: try another, first time only.
            for (var attempt = 1; ; attempt++)
            {
                if (firstStart)
                {
                    Port = LocalServers.FreeLoopbackPort();
                }
                var exitedEarly = await LaunchAsync(java, classPath, cancellationToken).ConfigureAwait(false);
                if (exitedEarly is null)
                {
                    return;
                }
                if (!firstStart || attempt >= 3)
                {
                    throw new InvalidOperationException(exitedEarly);
                }
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops the server with SIGTERM (SIGKILL after 10 s) and waits for it to exit; the data stays.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_process is not { } process)
            {
                return;
            }
            if (!process.HasExited)
            {
                if (!OperatingSystem.IsWindows() && PosixSignals.Kill(process.Id, PosixSignals.SigTerm) == 0)
                {
                    using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    grace.CancelAfter(TimeSpan.FromSeconds(10));
                    try
                    {
                        await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                    }
                }
            }
            LocalServers.Kill(process);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            ReleaseProcess();
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash would, and waits for it to exit; the data stays.</summary>
    public async Task KillAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_process is { } process)
            {
                LocalServers.Kill(process);
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                ReleaseProcess();
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// Sends a four-letter command (<c>srvr</c>, <c>stat</c>, <c>cons</c>, <c>mntr</c>, <c>dump</c>, <c>wchc</c>, ...)
    /// and returns the server's answer.
    /// </summary>
    public async Task<string> SendCommandAsync(string command, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        if (Port == 0)
        {
            throw new InvalidOperationException("The server has not been started.");
        }
        return await SendFourLetterWordAsync(Port, command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The last lines the server process wrote to its standard output and error.</summary>
    public string OutputTail() => string.Join(Environment.NewLine, _outputTail);

    /// <summary>Kills the server and deletes its folders. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (_process is { } process)
            {
                LocalServers.Kill(process);
                await process.WaitForExitAsync().ConfigureAwait(false);
                ReleaseProcess();
            }
            await DeleteRootAsync().ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Runs the server until it answers; returns why if it exited while starting (a taken port, say).</summary>
    private async Task<string?> LaunchAsync(string java, string classPath, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(DataDirectory);
        var configPath = Path.Combine(RootDirectory, "zoo.cfg");
        await File.WriteAllTextAsync(configPath, BuildConfig(), cancellationToken).ConfigureAwait(false);

        var start = new ProcessStartInfo(java)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = RootDirectory,
        };
        // A small, quick-starting JVM: the server holds a few nodes.
        start.ArgumentList.Add("-Xms16m");
        start.ArgumentList.Add("-Xmx192m");
        start.ArgumentList.Add("-XX:+UseSerialGC");
        start.ArgumentList.Add("-XX:TieredStopAtLevel=1");
        start.ArgumentList.Add("-Djava.net.preferIPv4Stack=true");
        start.ArgumentList.Add("-Dorg.slf4j.simpleLogger.logFile=" + Path.Combine(RootDirectory, "zookeeper.log"));
        start.ArgumentList.Add("-Dorg.slf4j.simpleLogger.showDateTime=true");
        start.ArgumentList.Add("-cp");
        start.ArgumentList.Add(classPath);
        start.ArgumentList.Add(MainClass);
        start.ArgumentList.Add(configPath);

        _outputTail.Clear();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not run '{java}': {ex.Message}. Run build/setup.sh to install Java and ZooKeeper.", ex);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        LocalServers.KillOnExit(process);

        var watch = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                if (process.HasExited)
                {
                    var exited = $"The ZooKeeper server exited with code {process.ExitCode} while starting on port {Port}."
                        + Environment.NewLine + LogTail();
                    ReleaseProcess();
                    return exited;
                }
                if (await AnswersAsync(cancellationToken).ConfigureAwait(false))
                {
                    return null;
                }
                if (watch.Elapsed > StartTimeout)
                {
                    throw new InvalidOperationException(
                        $"The ZooKeeper server on port {Port} did not answer 'srvr' within {StartTimeout.TotalSeconds:0} s.{Environment.NewLine}{LogTail()}");
                }
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            // Not started: leave nothing running.
            LocalServers.Kill(process);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            ReleaseProcess();
            throw;
        }
    }

    private async Task<bool> AnswersAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(TimeSpan.FromSeconds(2));
            var answer = await SendFourLetterWordAsync(Port, "srvr", attempt.Token).ConfigureAwait(false);
            return answer.Contains("Zookeeper version", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception ex) when (ex is SocketException or IOException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    private static async Task<string> SendFourLetterWordAsync(int port, string command, CancellationToken cancellationToken)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command), cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    private string BuildConfig()
    {
        var tick = (int)Math.Max(1, TickTime.TotalMilliseconds);
        var maxSession = Math.Min(60_000, tick * 120);
        return string.Create(CultureInfo.InvariantCulture, $"""
            tickTime={tick}
            dataDir={DataDirectory}
            clientPort={Port}
            clientPortAddress=127.0.0.1
            maxSessionTimeout={maxSession}
            maxClientCnxns=0
            admin.enableServer=false
            4lw.commands.whitelist=*
            forceSync=no

            """);
    }

    private static string FindJava()
    {
        var javaHome = Environment.GetEnvironmentVariable("JAVA_HOME");
        if (!string.IsNullOrEmpty(javaHome))
        {
            var candidate = Path.Combine(javaHome, "bin", "java");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "java");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException(
            "java was not found (neither under JAVA_HOME nor on PATH); the ZooKeeper test server needs it. Run build/setup.sh.");
    }

    private static string BuildClassPath()
    {
        var jars = new List<string>();
        var missing = new List<string>();
        foreach (var jar in RequiredJars)
        {
            var path = Path.Combine(JavaLibraryDirectory, jar);
            if (File.Exists(path))
            {
                jars.Add(path);
            }
            else
            {
                missing.Add(jar);
            }
        }
        var netty = Directory.Exists(JavaLibraryDirectory)
            ? Directory.GetFiles(JavaLibraryDirectory, "netty-*.jar")
            : [];
        Array.Sort(netty, StringComparer.Ordinal);
        var nettyCount = 0;
        foreach (var path in netty)
        {
            // Debian ships each jar twice (netty-buffer.jar and netty-buffer-4.1.48.Final.jar): take the unversioned
            // names, and leave out netty-all, which repeats the others.
            var name = Path.GetFileNameWithoutExtension(path);
            if (name.EndsWith(".Final", StringComparison.Ordinal) || name == "netty-all")
            {
                continue;
            }
            jars.Add(path);
            nettyCount++;
        }
        if (nettyCount == 0)
        {
            missing.Add("netty-*.jar");
        }
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"The ZooKeeper server's jars are missing from {JavaLibraryDirectory} ({string.Join(", ", missing)}). "
                + "Run build/setup.sh to install Debian's zookeeper package.");
        }
        return string.Join(Path.PathSeparator, jars);
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }
        _outputTail.Enqueue(line);
        while (_outputTail.Count > LogTailLines && _outputTail.TryDequeue(out _))
        {
        }
    }

    private string LogTail()
    {
        var lines = new List<string>();
        try
        {
            var log = Path.Combine(RootDirectory, "zookeeper.log");
            if (File.Exists(log))
            {
                var all = File.ReadAllLines(log);
                lines.AddRange(all.AsSpan(Math.Max(0, all.Length - LogTailLines)));
            }
        }
        catch (IOException)
        {
        }
        lines.AddRange(_outputTail);
        return lines.Count == 0 ? "(no output)" : string.Join(Environment.NewLine, lines);
    }

    private void ReleaseProcess()
    {
        LocalServers.Forget(_process);
        _process?.Dispose();
        _process = null;
    }

    private async Task DeleteRootAsync()
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(RootDirectory))
                {
                    Directory.Delete(RootDirectory, recursive: true);
                }
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && attempt < 2)
            {
                // A file the dying JVM still held; gone a moment later.
                await Task.Delay(100).ConfigureAwait(false);
            }
        }
    }

}
