namespace Kafka.Client;

/// <summary>Special positions in a partition, as pykafka's <c>OffsetType</c> (and Kafka's ListOffsets timestamps).</summary>
public enum OffsetType : long
{
    /// <summary>The offset the next produced message will get (the high watermark).</summary>
    Latest = -1,

    /// <summary>The first offset still in the partition (the log start offset).</summary>
    Earliest = -2,
}
