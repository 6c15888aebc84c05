using Microsoft.Extensions.Logging;

namespace Kafka.Client.Tests.Support;

/// <summary>
/// A logger factory whose loggers throw the first time an entry of one category and event id is logged: a faulty
/// logging provider.
/// </summary>
internal sealed class ThrowingOnceLoggerFactory(string category, int eventId) : ILoggerFactory
{
    public const string Failure = "The logging provider failed.";

    private int _thrown;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName == category);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(ThrowingOnceLoggerFactory owner, bool failing) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (failing && eventId.Id == owner.EventIdToFail && Interlocked.Exchange(ref owner._thrown, 1) == 0)
            {
                throw new InvalidOperationException(Failure);
            }
        }
    }

    private int EventIdToFail => eventId;
}
