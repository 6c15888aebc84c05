using Kafka.Client.Protocol.Records;

namespace Kafka.Client.Internal.Producing;

/// <summary>
/// One partition's share of the producer (franz-go's record buffer): the batch being filled, the sealed batches
/// waiting to be sent (in order), and the batches in flight. Its lock is held by producing threads while they append
/// and by senders while they take batches, never across I/O. Batches leave in order and failed ones come back in
/// order, so a partition's messages keep their order through retries.
/// </summary>
internal sealed class PartitionQueue : IDisposable
{
    private readonly List<ProducerBatch> _ready = [];
    private MessageSetBuilder? _legacyBuilder;
    private readonly List<ProducerBatch> _inFlight = [];

    public PartitionQueue(int id, Partition partition)
    {
        Id = id;
        Partition = partition;
    }

    public int Id { get; }

    public Lock Lock { get; } = new();

    /// <summary>Builds this partition's open batch (one at a time); its scratch buffer stays here between batches.</summary>
    public RecordBatchBuilder Builder { get; } = new();

    /// <summary>The builder of legacy message sets, for brokers before 0.11.</summary>
    public MessageSetBuilder LegacyBuilder => _legacyBuilder ??= new MessageSetBuilder();

    /// <summary>The partition as the latest metadata describes it (leader included); replaced on refresh.</summary>
    public Partition Partition { get; set; }

    /// <summary>Set when the partition left the metadata: nothing more is queued here.</summary>
    public bool IsGone { get; set; }

    /// <summary>The batch being filled, or null.</summary>
    public ProducerBatch? Open { get; set; }

    /// <summary>Sealed batches not in flight, ordered by <see cref="ProducerBatch.Number"/>.</summary>
    public List<ProducerBatch> Ready => _ready;

    /// <summary>Batches sent and not yet answered.</summary>
    public List<ProducerBatch> InFlight => _inFlight;

    /// <summary>The broker the in-flight batches went to (meaningful while there are some).</summary>
    public int InFlightBrokerId { get; set; } = -1;

    /// <summary>The number the next batch begun here gets.</summary>
    public long NextNumber { get; set; }

    /// <summary>The base sequence the next batch begun here gets (idempotence).</summary>
    public int NextSequence { get; set; }

    /// <summary>Whether any batch is queued or in flight here.</summary>
    /// <summary>
    /// The number of the transaction this partition was last added to (AddPartitionsToTxn); a transactional producer
    /// sends the partition nothing in a transaction it was not added to.
    /// </summary>
    public int TransactionNumber { get; set; } = -1;

    public bool HasWork => Open is not null || _ready.Count > 0 || _inFlight.Count > 0;

    /// <summary>Puts a batch back among the ready ones, in order (a retry goes before the batches that followed it).</summary>
    public void Requeue(ProducerBatch batch)
    {
        var i = _ready.Count;
        while (i > 0 && _ready[i - 1].Number > batch.Number)
        {
            i--;
        }
        _ready.Insert(i, batch);
    }

    /// <summary>Whether some unfinished batch here precedes <paramref name="batch"/>.</summary>
    public bool HasEarlierThan(ProducerBatch batch)
    {
        foreach (var other in _inFlight)
        {
            if (other.Number < batch.Number)
            {
                return true;
            }
        }
        return _ready.Count > 0 && _ready[0].Number < batch.Number;
    }

    /// <summary>Frees the builders' buffers (when the producer stops).</summary>
    public void Dispose()
    {
        lock (Lock)
        {
            Builder.Dispose();
            _legacyBuilder?.Dispose();
        }
    }

    /// <summary>The number of the oldest unfinished batch, or <see cref="long.MaxValue"/> when none is.</summary>
    public long OldestUnfinished()
    {
        var oldest = Open?.Number ?? long.MaxValue;
        if (_ready.Count > 0)
        {
            oldest = Math.Min(oldest, _ready[0].Number);
        }
        foreach (var batch in _inFlight)
        {
            oldest = Math.Min(oldest, batch.Number);
        }
        return oldest;
    }
}
