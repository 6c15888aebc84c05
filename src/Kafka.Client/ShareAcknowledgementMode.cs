namespace Kafka.Client;

/// <summary>Whether a <see cref="ShareConsumer"/> accepts the records of a poll by itself (Kafka's <c>share.acknowledgement.mode</c>).</summary>
public enum ShareAcknowledgementMode
{
    /// <summary>
    /// The next <see cref="ShareConsumer.PollAsync"/> (and disposal) accepts every record of the previous poll that was
    /// not acknowledged explicitly.
    /// </summary>
    Implicit,

    /// <summary>
    /// Only <see cref="ShareConsumer.Acknowledge"/> acknowledges: a record left unacknowledged stays locked to this
    /// member until its acquisition lock runs out, then the group delivers it again (to any member).
    /// </summary>
    Explicit,
}
