namespace Kafka.Client.Internal.Sharing;

/// <summary>
/// What a share consumer holds of one partition: the offsets it was given and has not acknowledged yet, and the
/// acknowledgements waiting to be sent, to the broker the records came from (acquisitions live in that broker's share
/// partition, so a moved leader does not know them). Guarded by the consumer's lock.
/// </summary>
internal sealed class SharePartition(Guid topicId, string topic, int partition)
{
    public Guid TopicId { get; } = topicId;

    public string Topic { get; } = topic;

    public int Partition { get; } = partition;

    /// <summary>Offsets handed to the application and not acknowledged yet.</summary>
    public HashSet<long> Delivered { get; } = [];

    /// <summary>Acknowledgements to send: offset → type (0 gap, 1 accept, 2 release, 3 reject).</summary>
    public SortedDictionary<long, byte> Pending { get; } = [];

    /// <summary>
    /// While the partition is not assigned to the member but still in its share session: the offsets held when it stopped
    /// being assigned and not acknowledged since. The session forgets the partition once this is empty.
    /// </summary>
    public HashSet<long>? HeldWhenUnassigned { get; set; }

    /// <summary>The broker whose share session the delivered records were acquired in; -1 before the first fetch.</summary>
    public int SessionBrokerId { get; set; } = -1;

    /// <summary>Takes the pending acknowledgements as batches: runs of consecutive offsets with the same type.</summary>
    public List<Protocol.ShareAcknowledgementBatch> TakePending(out long[] offsets)
    {
        var batches = new List<Protocol.ShareAcknowledgementBatch>();
        offsets = [.. Pending.Keys];
        long first = 0, last = -2;
        byte type = 0;
        foreach (var (offset, ackType) in Pending)
        {
            if (offset == last + 1 && ackType == type)
            {
                last = offset;
                continue;
            }
            if (last >= first && last != -2)
            {
                batches.Add(new Protocol.ShareAcknowledgementBatch(first, last, [type]));
            }
            first = last = offset;
            type = ackType;
        }
        if (last != -2)
        {
            batches.Add(new Protocol.ShareAcknowledgementBatch(first, last, [type]));
        }
        Pending.Clear();
        return batches;
    }

    /// <summary>Puts acknowledgements back when the request that carried them failed before the broker applied them.</summary>
    public void Restore(IReadOnlyList<Protocol.ShareAcknowledgementBatch> batches)
    {
        foreach (var batch in batches)
        {
            for (var offset = batch.FirstOffset; offset <= batch.LastOffset; offset++)
            {
                Pending.TryAdd(offset, batch.AcknowledgeTypes[0]);
            }
        }
    }
}
