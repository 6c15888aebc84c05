namespace Kafka.Client;

/// <summary>
/// The base of every error the client raises for Kafka-level failures. Misuse of the API (a null argument,
/// a malformed host string) raises the ordinary .NET argument exceptions instead.
/// </summary>
public class KafkaException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public KafkaException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public KafkaException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates an exception with a message, stating whether trying again may succeed.</summary>
    public KafkaException(string message, bool isRetriable, Exception? innerException = null)
        : base(message, innerException) => IsRetriable = isRetriable;

    /// <summary>
    /// Whether the same operation may succeed if tried again (after a metadata refresh or a backoff):
    /// a lost connection, a timeout or a moved leader are retriable; a bad request or a refused
    /// authorization are not.
    /// </summary>
    public bool IsRetriable { get; }
}
