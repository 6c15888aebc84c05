namespace Kafka.Hosting;

/// <summary>
/// The headers a hosted consumer adds, after the message's own, to a message it forwards to its dead-letter topic
/// (<see cref="HandlerFailurePolicy.DeadLetter"/>). Their values are UTF-8 text.
/// </summary>
public static class DeadLetterHeaderNames
{
    /// <summary>The topic the message was consumed from.</summary>
    public const string Topic = "dlq.topic";

    /// <summary>The partition the message was consumed from, in decimal.</summary>
    public const string Partition = "dlq.partition";

    /// <summary>The message's offset in that partition, in decimal.</summary>
    public const string Offset = "dlq.offset";

    /// <summary>The consumer group whose handler failed.</summary>
    public const string Group = "dlq.group";

    /// <summary>
    /// Why: the last exception's full type name and message (<c>Type: message</c>, at most 1000 characters). No stack
    /// trace and nothing else from the handler.
    /// </summary>
    public const string Error = "dlq.error";
}
