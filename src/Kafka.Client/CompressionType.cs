namespace Kafka.Client;

/// <summary>
/// How a producer compresses the records of a batch. The values are the codec ids Kafka stores in the low three
/// bits of a record batch's (or legacy message's) attributes.
/// </summary>
public enum CompressionType
{
    /// <summary>No compression.</summary>
    None = 0,

    /// <summary>gzip (deflate with a gzip header), levels 0 to 9.</summary>
    Gzip = 1,

    /// <summary>Snappy in the xerial framing that Kafka's Java client and librdkafka read; no levels.</summary>
    Snappy = 2,

    /// <summary>LZ4 in the standard frame format; levels 0 to 12 (3 and up use the slower high-compression mode).</summary>
    Lz4 = 3,

    /// <summary>Zstandard; levels -131072 to 22. Needs brokers 2.1 or later (record batch v2).</summary>
    Zstd = 4,
}
