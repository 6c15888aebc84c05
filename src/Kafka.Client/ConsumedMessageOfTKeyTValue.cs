namespace Kafka.Client;

/// <summary>
/// A message read by a <see cref="SimpleConsumer{TKey, TValue}"/>, with its key and value deserialized. It owns all of
/// its data: unlike <see cref="ConsumedMessage"/>, it stays valid for as long as it is referenced.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class ConsumedMessage<TKey, TValue>
{
    internal ConsumedMessage(ConsumedMessage raw, TKey partitionKey, TValue value, IReadOnlyList<KafkaHeader> headers)
    {
        Topic = raw.Topic;
        PartitionId = raw.PartitionId;
        Offset = raw.Offset;
        Timestamp = raw.Timestamp;
        PartitionKey = partitionKey;
        Value = value;
        Headers = headers;
    }

    /// <summary>The topic the message was read from.</summary>
    public string Topic { get; }

    /// <summary>The partition the message was read from.</summary>
    public int PartitionId { get; }

    /// <summary>The message's offset in its partition.</summary>
    public long Offset { get; }

    /// <summary>The deserialized key (pykafka's <c>partition_key</c>).</summary>
    public TKey PartitionKey { get; }

    /// <summary>The deserialized value.</summary>
    public TValue Value { get; }

    /// <summary>
    /// The message's timestamp; <see langword="null"/> for messages in the oldest format, and for a timestamp past what
    /// <see cref="DateTimeOffset"/> holds (see <see cref="ConsumedMessage.Timestamp"/>).
    /// </summary>
    public DateTimeOffset? Timestamp { get; }

    /// <summary>The message's headers (copied: they own their values).</summary>
    public IReadOnlyList<KafkaHeader> Headers { get; }

    /// <summary>The message as <c>topic/partition@offset</c>.</summary>
    public override string ToString() => $"{Topic}/{PartitionId}@{Offset}";
}
