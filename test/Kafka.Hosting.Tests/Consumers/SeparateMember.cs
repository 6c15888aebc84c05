using System.Diagnostics;
using Kafka.Client;
using Kafka.Hosting.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kafka.Hosting.Tests.Consumers;

/// <summary>
/// A hosted consumer in a process of its own, so that a test can kill it (no commit, no leave). It prints
/// <c>assigned n</c> when the group gives it partitions and <c>handled p o</c> when its handler has handled a message
/// (before the handler returns, so before any commit can cover it); the test reads those lines into its journal.
/// </summary>
internal sealed class SeparateMember : IDisposable
{
    private readonly Process _process;
    private readonly Task _reading;

    private SeparateMember(Process process, Journal journal, string topic)
    {
        _process = process;
        _reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                var parts = line.Split(' ');
                if (parts is ["handled", var partition, var offset])
                {
                    journal.Handled.AddOrUpdate((topic, int.Parse(partition, System.Globalization.CultureInfo.InvariantCulture), long.Parse(offset, System.Globalization.CultureInfo.InvariantCulture)), 1, (_, n) => n + 1);
                }
                else if (parts is ["assigned", var count])
                {
                    Assigned = int.Parse(count, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        });
    }

    /// <summary>How many partitions the group last assigned the member.</summary>
    public int Assigned { get; private set; } = -1;

    public static SeparateMember Start(string bootstrap, string topic, string group, Journal journal)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? Environment.ProcessPath!;
        var process = Process.Start(new ProcessStartInfo(dotnet, [typeof(SeparateMember).Assembly.Location, "--member", bootstrap, topic, group])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        return new SeparateMember(process, journal, topic);
    }

    /// <summary>Kills the process at once (SIGKILL): its sockets close without a LeaveGroup or a last commit.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _reading.Wait();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }
        _process.Dispose();
    }

    /// <summary>The member's own process: a host with one hosted consumer, printing what it handles.</summary>
    public static async Task<int> RunAsync(string bootstrap, string topic, string group)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(TestHosts.FastSettings(bootstrap));
        builder.Logging.ClearProviders();
        builder.Services.AddKafkaClient().AddConsumer<PrintingHandler>(topic, group, o =>
        {
            ConsumerTestKit.Fast(o);
            o.Consumer.PartitionsAssigned = (partitions, _) =>
            {
                Console.Out.WriteLine($"assigned {partitions.Count}");
                return Task.CompletedTask;
            };
        });
        using var host = builder.Build();
        await host.RunAsync();
        return 0;
    }

    private sealed class PrintingHandler : IKafkaMessageHandler
    {
        public async Task HandleAsync(ConsumedMessage message, CancellationToken cancellationToken)
        {
            await Task.Delay(1, cancellationToken);
            Console.Out.WriteLine($"handled {message.PartitionId} {message.Offset}"); // Console.Out flushes every line
        }
    }
}
