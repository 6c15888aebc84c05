namespace Kafka.Client;

/// <summary>
/// How many acknowledgements a producer waits for before a message counts as delivered (pykafka's
/// <c>required_acks</c>, Kafka's <c>acks</c>). The values are what the Produce request carries.
/// </summary>
public enum RequiredAcks : short
{
    /// <summary>
    /// Every in-sync replica must have the message (-1, "all"). The only setting under which an acknowledged message
    /// survives the loss of the leader, and the one idempotence needs.
    /// </summary>
    All = -1,

    /// <summary>
    /// No acknowledgement (0): the broker sends no response, so a message counts as delivered once written to the
    /// socket, its offset is unknown (-1), and a lost connection loses it silently.
    /// </summary>
    None = 0,

    /// <summary>The partition leader must have written the message (1); lost if the leader fails before the replicas copy it.</summary>
    Leader = 1,
}
