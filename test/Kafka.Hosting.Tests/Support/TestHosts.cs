using System.Collections.Concurrent;
using System.Diagnostics;
using Kafka.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kafka.Hosting.Tests.Support;

internal static class TestHosts
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    /// <summary>Client settings that fail fast, for a section (<c>Kafka</c> or <c>Kafka:Clients:name</c>).</summary>
    public static Dictionary<string, string?> FastSettings(string hosts, string section = "Kafka") => new()
    {
        [$"{section}:Hosts"] = hosts,
        [$"{section}:SocketTimeout"] = "00:00:05",
        [$"{section}:ConnectTimeout"] = "00:00:02",
        [$"{section}:ReconnectBackoff"] = "00:00:00.010",
        [$"{section}:ReconnectBackoffMax"] = "00:00:00.050",
        [$"{section}:Resilience:BaseDelay"] = "00:00:00.010",
        [$"{section}:Resilience:MaxDelay"] = "00:00:00.050",
    };

    /// <summary>A generic host with in-memory configuration only; <paramref name="configure"/> registers the clients.</summary>
    public static IHost Build(
        IDictionary<string, string?> settings,
        Action<IServiceCollection> configure,
        TimeProvider? time = null,
        LogCapture? logs = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }
        configure(builder.Services);
        return builder.Build();
    }

    /// <summary>
    /// Waits until the client's first metadata refresh (the one the host's start asks for) has ended and the client
    /// has planned its next one: the reachability probe that follows a background refresh is done by then.
    /// </summary>
    public static Task WaitForFirstRefreshAsync(Kafka.Client.KafkaClient client) =>
        WaitUntilAsync(() => client.Status.RefreshCount >= 1 && client.Status.NextRefresh is not null, "the refresh at start, then the next one planned");

    /// <summary>
    /// Drives a fake clock in small steps until <paramref name="condition"/> holds: backoffs and retry delays then
    /// pass without real waiting, while socket I/O gets real time between steps.
    /// </summary>
    public static Task PumpUntilAsync(FakeTimeProvider time, Func<bool> condition, string what, TimeSpan? step = null) =>
        WaitUntilAsync(condition, what, Deadline, () => time.Advance(step ?? TimeSpan.FromMilliseconds(50)));

    /// <summary>Puts a proxy in front of every broker and makes the cluster advertise it.</summary>
    public static async Task<TcpProxy[]> ProxyEveryBrokerAsync(MockKafkaCluster cluster)
    {
        var proxies = new List<TcpProxy>();
        foreach (var id in cluster.BrokerIds)
        {
            var proxy = new TcpProxy("127.0.0.1", cluster.GetBrokerPort(id));
            cluster.SetBrokerHostPort(id, "127.0.0.1", proxy.Port);
            proxies.Add(proxy);
        }
        await Task.Yield();
        return [.. proxies];
    }
}

/// <summary>Collects log entries of a host.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(string Category, LogLevel Level, EventId EventId, string Message)> Entries { get; } = new();

    /// <summary>Called on the logging thread as each entry is written: to take a snapshot at the moment something is logged.</summary>
    public Action<(string Category, LogLevel Level, EventId EventId, string Message)>? Observer { get; set; }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var entry = (category, logLevel, eventId, formatter(state, exception));
            owner.Entries.Enqueue(entry);
            owner.Observer?.Invoke(entry);
        }
    }
}
