using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Kafka.ZooKeeper.Tests;

internal static class TestSupport
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    public static ZooKeeperClient Client(
        string connectString, TimeSpan? sessionTimeout = null, TimeSpan? connectTimeout = null, TimeProvider? time = null) =>
        new(new ZooKeeperClientOptions
        {
            ConnectString = connectString,
            SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(4),
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(15),
        }, TestLoggerFactory.Instance, time);

    public static async Task<ZooKeeperClient> ConnectedAsync(
        string connectString, TimeSpan? sessionTimeout = null, TimeProvider? time = null)
    {
        var client = Client(connectString, sessionTimeout, time: time);
        await client.ConnectAsync();
        return client;
    }

    /// <summary>A fresh root path for one test, so tests on the shared server do not meet.</summary>
    public static string UniqueRoot(string name) => $"/{name}-{Guid.NewGuid():N}";

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(ReadOnlyMemory<byte> data) => Encoding.UTF8.GetString(data.Span);

    /// <summary>A watch callback whose event can be awaited.</summary>
    public sealed class WatchProbe
    {
        private readonly TaskCompletionSource<WatchedEvent> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Action<WatchedEvent> Callback => OnEvent;

        public Task<WatchedEvent> Fired => _first.Task;

        public async Task<WatchedEvent> WaitAsync() => await _first.Task.WaitAsync(Deadline);

        private void OnEvent(WatchedEvent e)
        {
            Interlocked.Increment(ref _count);
            _first.TrySetResult(e);
        }
    }
}

/// <summary>Writes the client's log into the test's output, shown when a test fails.</summary>
internal sealed class TestLoggerFactory : ILoggerFactory
{
    public static readonly TestLoggerFactory Instance = new();

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public ILogger CreateLogger(string categoryName) => new Logger();

    public void Dispose()
    {
    }

    private static readonly bool Verbose = Environment.GetEnvironmentVariable("ZK_TEST_LOG") == "1";

    private sealed class Logger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel,-11} {formatter(state, exception)}{(exception is null ? "" : " " + exception)}";
            try
            {
                // ZK_TEST_LOG=1 streams the log to the console; otherwise it goes with the test's result.
                (Verbose ? TestContext.Progress : TestContext.Out).WriteLine(line);
            }
            catch (InvalidOperationException)
            {
            }
        }
    }
}
