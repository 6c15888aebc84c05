namespace Kafka.Client.Internal.Producing;

/// <summary>
/// What a batch remembers of a message that someone waits to hear about: a <c>Producer.ProduceAsync</c>
/// awaiter, a delivery report for the channel, or a <c>send</c> span to end. Messages nobody waits for have no slot.
/// </summary>
internal struct MessageSlot
{
    /// <summary>The record's index in its batch (its offset is the batch's base offset plus this).</summary>
    public int Index;

    /// <summary>The record's create time, in Unix milliseconds.</summary>
    public long Timestamp;

    /// <summary>The awaiter's completion, or null for a report to the channel.</summary>
    public DeliveryCompletion? Completion;

    public ReadOnlyMemory<byte>? Key;

    public ReadOnlyMemory<byte>? Value;

    /// <summary>The message's <c>send</c> span, ended with its delivery report; null when nobody listened.</summary>
    public System.Diagnostics.Activity? Activity;
}
