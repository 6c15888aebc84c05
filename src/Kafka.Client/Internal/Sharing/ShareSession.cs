
namespace Kafka.Client.Internal.Sharing;

/// <summary>
/// A share consumer's share session with one broker: the epoch sequence (0 opens, each answered request moves it on,
/// an error resets it to 0), the partitions the broker has in the session, and a connection of the consumer's own,
/// so that a fetch held open by the broker never delays another consumer's traffic. One request at a time.
/// </summary>
internal sealed class ShareSession(Broker broker, ConnectionSlot slot) : IAsyncDisposable
{
    public Broker Broker { get; } = broker;

    public ConnectionSlot Slot { get; } = slot;

    /// <summary>The epoch the next request carries.</summary>
    public int Epoch { get; set; }

    /// <summary>The partitions the broker holds in the session.</summary>
    public HashSet<(Guid TopicId, int Partition)> Partitions { get; } = [];

    /// <summary>One request at a time: the epochs must follow each other.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Failures in a row, so that a streak is logged once.</summary>
    public int Failures { get; set; }

    /// <summary>Forgets the session after an error: the next request opens a new one.</summary>
    public void Reset()
    {
        Epoch = Protocol.ShareFetchRequest.OpenEpoch;
        Partitions.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await Slot.DisposeAsync().ConfigureAwait(false);
        Gate.Dispose();
    }
}
