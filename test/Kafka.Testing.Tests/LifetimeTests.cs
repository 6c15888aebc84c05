using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Kafka.Testing.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Kafka.Testing.Tests;

/// <summary>Starting, disposing, logging and loading the native library.</summary>
public class LifetimeTests
{
    [Test]
    public async Task Dispose_closes_the_brokers_and_disposing_again_is_harmless()
    {
        var cluster = MockKafkaCluster.Start();
        int port = cluster.GetBrokerPort(1);

        cluster.Dispose();
        cluster.Dispose();
        await cluster.DisposeAsync();

        Assert.Throws<SocketException>(() => RawKafka.Connect(port).Dispose());
        Assert.Throws<ObjectDisposedException>(() => cluster.CreateTopic("late", 1));
        Assert.Throws<ObjectDisposedException>(() => cluster.GetRequests());
        Assert.That(cluster.BootstrapServers, Is.Not.Empty, "plain properties stay readable");
    }

    [Test]
    public async Task DisposeAsync_closes_the_brokers()
    {
        var cluster = MockKafkaCluster.Start();
        int port = cluster.GetBrokerPort(2);

        await using (cluster)
        {
            Assert.That(RawKafka.ApiVersions(port).ErrorCode, Is.EqualTo(0));
        }

        Assert.Throws<SocketException>(() => RawKafka.Connect(port).Dispose());
    }

    [Test]
    public void Concurrent_dispose_and_use_neither_crash_nor_leak()
    {
        for (int round = 0; round < 20; round++)
        {
            var cluster = MockKafkaCluster.Start(1);
            cluster.StartRequestTracking();
            var users = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            {
                try
                {
                    for (int i = 0; i < 50; i++)
                    {
                        cluster.GetRequests();
                        cluster.SetBrokerRtt(1, TimeSpan.Zero);
                    }
                }
                catch (ObjectDisposedException)
                {
                    // Expected once the other thread has disposed it.
                }
            })).ToArray();
            var disposers = Enumerable.Range(0, 2).Select(_ => Task.Run(cluster.Dispose)).ToArray();

            Assert.That(Task.WaitAll([.. users, .. disposers], TimeSpan.FromSeconds(20)), Is.True, $"round {round} finished");
        }
    }

    [Test]
    public void An_undisposed_cluster_is_released_by_the_finalizer()
    {
        int port = StartAndForget();

        WaitUntil(() =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            try
            {
                RawKafka.Connect(port).Dispose();
                return false;
            }
            catch (SocketException)
            {
                return true;
            }
        }, "the forgotten cluster's broker stops listening");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int StartAndForget() => MockKafkaCluster.Start(1).GetBrokerPort(1);

    [Test]
    public void The_expected_bootstrap_warning_is_logged_at_debug_level_only()
    {
        var logger = new ListLogger();

        using (MockKafkaCluster.Start(logger: logger))
        {
        }

        Assert.That(logger.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message), Is.Empty);
        Assert.That(logger.Entries.Where(e => e.Message.Contains("bootstrap.servers", StringComparison.Ordinal)).Select(e => e.Level),
            Is.All.EqualTo(LogLevel.Debug));
    }

    [Test]
    public void The_native_library_is_loaded_from_the_output_folder()
    {
        string path = MockKafkaCluster.NativeLibraryPath;

        Assert.That(File.Exists(path), Is.True, path);
        if (OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64)
        {
            Assert.That(Path.GetDirectoryName(path), Is.EqualTo(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native")));
            Assert.That(Path.GetFileName(path), Is.AnyOf("librdkafka.so", "centos8-librdkafka.so"));
        }
    }

    [Test]
    public void The_peer_client_and_the_mock_share_one_librdkafka_build()
    {
        // Confluent.Kafka falls back to centos8-librdkafka.so by itself where librdkafka.so cannot load.
        Assert.That(Confluent.Kafka.Library.Version, Is.EqualTo(0x021000ff), "librdkafka 2.16.0");
        if (OperatingSystem.IsLinux())
        {
            var mapped = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).LastOrDefault())
                .Where(file => file is not null && file.Contains("rdkafka", StringComparison.Ordinal))
                .Distinct()
                .ToList();
            Assert.That(mapped, Is.EqualTo(new[] { MockKafkaCluster.NativeLibraryPath }));
        }
    }
}
