namespace Kafka.Client.Protocol.Records;

/// <summary>
/// Field positions and flags of record batch v2 (magic 2) and of the legacy message format (magic 0 and 1), as
/// in Kafka's "Message Format" documentation. Both start with an int64 offset and an int32 size, and both keep
/// their magic byte 16 bytes in, which is how a reader tells them apart.
/// </summary>
internal static class RecordBatchFormat
{
    /// <summary>baseOffset (or offset) and batchLength (or message size): the part not counted by the length.</summary>
    public const int LogOverhead = 12;

    public const int MagicOffset = 16;

    public const byte MagicV0 = 0;
    public const byte MagicV1 = 1;
    public const byte MagicV2 = 2;

    // Record batch v2 header, relative to the batch start.
    public const int BatchLengthOffset = 8;
    public const int PartitionLeaderEpochOffset = 12;
    public const int CrcOffset = 17;
    public const int AttributesOffset = 21;
    public const int LastOffsetDeltaOffset = 23;
    public const int BaseTimestampOffset = 27;
    public const int MaxTimestampOffset = 35;
    public const int ProducerIdOffset = 43;
    public const int ProducerEpochOffset = 51;
    public const int BaseSequenceOffset = 53;
    public const int RecordsCountOffset = 57;
    public const int BatchHeaderSize = 61;

    /// <summary>The smallest batchLength a v2 batch can have: its header without the log overhead.</summary>
    public const int MinBatchLength = BatchHeaderSize - LogOverhead;

    public const int CompressionMask = 0x07;
    public const int TimestampTypeFlag = 0x08;
    public const int TransactionalFlag = 0x10;
    public const int ControlFlag = 0x20;

    /// <summary>
    /// The smallest encoded v2 record: a one-byte length, attributes, timestamp delta, offset delta, key length,
    /// value length and header count of one byte each.
    /// </summary>
    public const int MinRecordSize = 7;

    /// <summary>The smallest v2 record body (what its length counts).</summary>
    public const int MinRecordBodySize = MinRecordSize - 1;

    // Legacy message, relative to the message start (after offset and size): crc, magic, attributes,
    // [timestamp for magic 1], key, value.
    public const int LegacyCrcSize = 4;
    public const int LegacyMinMessageSizeV0 = 4 + 1 + 1 + 4 + 4;
    public const int LegacyMinMessageSizeV1 = LegacyMinMessageSizeV0 + 8;
}
