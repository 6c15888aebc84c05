namespace Kafka.Client;

/// <summary>Facts about each <see cref="KafkaErrorCode"/>: its protocol name and whether it is retriable.</summary>
public static class KafkaErrors
{
    /// <summary>Whether an operation that failed with <paramref name="code"/> may succeed if tried again.</summary>
    public static bool IsRetriable(KafkaErrorCode code) => false;

    /// <summary>The protocol name of <paramref name="code"/> (UNKNOWN_TOPIC_OR_PARTITION), or its number if unknown.</summary>
    public static string GetName(KafkaErrorCode code) => code.ToString();
}
