using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kafka.Client.Tests.Support;

/// <summary>Keeps every log entry at every level, with its structured values and exception, for assertions.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<string> _entries = new();

    /// <summary>Each entry: level, category, event id, message, structured values, then the exception if any.</summary>
    public IReadOnlyList<string> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = $"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)}";
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                text += " | " + string.Join(", ", values.Select(v => $"{v.Key}={v.Value}"));
            }
            if (exception is not null)
            {
                text += Environment.NewLine + exception;
            }
            owner._entries.Enqueue(text);
        }
    }
}
