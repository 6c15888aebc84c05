namespace Kafka.Client.Admin;

/// <summary>The outcome of a topic operation (create, delete, add partitions) for one topic.</summary>
/// <param name="Name">The topic.</param>
/// <param name="TopicId">The topic's id when the broker says (CreateTopics v7, DeleteTopics v6), otherwise empty.</param>
/// <param name="Error">Why the operation failed for this topic, or <see langword="null"/> when it succeeded.</param>
public sealed record TopicResult(string Name, Guid TopicId, KafkaBrokerException? Error)
{
    /// <summary>Whether the operation succeeded for this topic.</summary>
    public bool Succeeded => Error is null;
}
