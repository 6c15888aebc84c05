namespace Kafka.Client;

/// <summary>
/// A connection to a broker could not be opened, or was lost with requests in flight. Always retriable: whether a
/// request that was in flight took effect on the broker is unknown.
/// </summary>
public sealed class KafkaConnectionException : KafkaException
{
    /// <summary>Creates a connection error for the broker at <paramref name="host"/>:<paramref name="port"/>.</summary>
    public KafkaConnectionException(string host, int port, string message, Exception? innerException = null)
        : base(message, isRetriable: true, innerException)
    {
        Host = host;
        Port = port;
    }

    /// <summary>The host of the broker the connection was to.</summary>
    public string Host { get; }

    /// <summary>The port of the broker the connection was to.</summary>
    public int Port { get; }
}
