namespace Kafka.Client.Internal.Consuming;

/// <summary>Where a partition's consumption stands.</summary>
internal enum CursorState
{
    /// <summary>No position yet (the consumer is still looking up committed offsets): not fetched.</summary>
    Unpositioned,

    /// <summary>Fetched from <see cref="PartitionCursor.FetchOffset"/>.</summary>
    Fetchable,

    /// <summary>The fetch offset was out of range: waiting for the reset the maintenance loop does.</summary>
    OutOfRange,

    /// <summary>Stopped by an error the consumer was told about; fetched again only after a reset.</summary>
    Failed,

    /// <summary>
    /// Paused by the application: no records are fetched, but the partition rides along in the fetches its loop sends
    /// as a zero-byte probe (at most one per fetch wait), so its high watermark, and so its lag, stays current.
    /// </summary>
    Paused,
}

/// <summary>
/// One partition's consumption state: the next offset to fetch and to deliver, the chunks fetched and not yet
/// consumed, and the fetch loop (leader) that serves it. Every field is guarded by the engine's lock.
/// </summary>
internal sealed class PartitionCursor
{
    public PartitionCursor(Partition partition, int partitionMaxBytes)
    {
        Partition = partition;
        MaxBytes = partitionMaxBytes;
    }

    public Partition Partition { get; }

    public Topic Topic => Partition.Topic;

    public int Id => Partition.Id;

    public CursorState State { get; set; } = CursorState.Unpositioned;

    /// <summary>The next offset to fetch.</summary>
    public long FetchOffset { get; set; } = -1;

    /// <summary>The next offset to deliver (what a commit stores); -1 before the position is known.</summary>
    public long Position { get; set; } = -1;

    /// <summary>The high watermark the latest fetch response reported; -1 before the first.</summary>
    public long HighWatermark { get; set; } = -1;

    /// <summary>The high watermark minus the position, when both are known; -1 otherwise.</summary>
    public long Lag => HighWatermark >= 0 && Position >= 0 ? Math.Max(0, HighWatermark - Position) : -1;

    /// <summary>Bumped by every reset and leader move, so a fetch answered after it is recognised and dropped.</summary>
    public int Version { get; set; }

    /// <summary>The broker fetched from; <see langword="null"/> while the partition has no known leader.</summary>
    public Broker? Leader { get; set; }

    public FetchSource? Source { get; set; }

    public Queue<FetchChunk> Chunks { get; } = new();

    /// <summary>Messages fetched and not yet delivered.</summary>
    public int Buffered { get; set; }

    /// <summary>Whether the cursor is in the engine's ready queue.</summary>
    public bool InReady { get; set; }

    /// <summary>Whether a fetch that includes the partition is in flight.</summary>
    public bool InFlight { get; set; }

    /// <summary>Not fetched before this timestamp (<see cref="TimeProvider.GetTimestamp"/>) after an error.</summary>
    public long RetryAt { get; set; }

    /// <summary>A paused partition's next zero-byte probe is not sent before this timestamp.</summary>
    public long ProbeAt { get; set; }

    /// <summary>The partition's fetch size; doubled when a batch larger than it comes back incomplete.</summary>
    public int MaxBytes { get; set; }

    public override string ToString() => Partition.ToString();
}
