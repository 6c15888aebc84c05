namespace Kafka.Client.Protocol.Records;

/// <summary>Where a record's timestamp came from (bit 3 of the batch or message attributes).</summary>
internal enum TimestampType
{
    /// <summary>Magic 0 messages carry no timestamp.</summary>
    None = -1,

    /// <summary>Set by the producer.</summary>
    CreateTime = 0,

    /// <summary>Set by the broker when it appended the batch; every record in it has the batch's max timestamp.</summary>
    LogAppendTime = 1,
}
