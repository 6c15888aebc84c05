namespace Kafka.Client.Internal.Producing;

/// <summary>
/// An idempotent producer's id and epoch, as InitProducerId gave them. <see cref="Generation"/> counts the identities
/// a producer has had, so that a batch stamped under an older one can be told apart.
/// </summary>
internal sealed record ProducerIdentity(long Id, short Epoch, int Generation)
{
    /// <summary>The stamp of a producer that is not idempotent (or lost idempotence).</summary>
    public static ProducerIdentity None(int generation) => new(-1, -1, generation);

    public bool IsIdempotent => Id >= 0;
}
