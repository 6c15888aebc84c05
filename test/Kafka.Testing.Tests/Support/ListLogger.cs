using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kafka.Testing.Tests.Support;

/// <summary>An <see cref="ILogger"/> that keeps every entry, for asserting on what the mock cluster logged.</summary>
internal sealed class ListLogger : ILogger
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));
}
