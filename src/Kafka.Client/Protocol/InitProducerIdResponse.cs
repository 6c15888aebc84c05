namespace Kafka.Client.Protocol;

/// <summary>A broker's answer to <see cref="InitProducerIdRequest"/>.</summary>
internal sealed class InitProducerIdResponse
{
    /// <summary>How long the broker throttled the request for a quota violation.</summary>
    public int ThrottleTimeMs { get; init; }

    /// <summary>The error, or NONE.</summary>
    public KafkaErrorCode ErrorCode { get; init; }

    /// <summary>The producer id, or -1 on error.</summary>
    public long ProducerId { get; init; } = -1;

    /// <summary>The producer epoch.</summary>
    public short ProducerEpoch { get; init; } = -1;
}
