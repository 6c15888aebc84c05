namespace Kafka.Client;

/// <summary>Which records of transactional producers a consumer sees.</summary>
public enum KafkaIsolationLevel
{
    /// <summary>Every record, including those of transactions not yet committed and of aborted ones.</summary>
    ReadUncommitted = 0,

    /// <summary>
    /// Only committed records: the broker returns records up to the last stable offset, and the consumer skips those
    /// of aborted transactions (the broker lists them).
    /// </summary>
    ReadCommitted = 1,
}
