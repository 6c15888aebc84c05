namespace Kafka.Client;

/// <summary>
/// The outcome of one produced message: where it was written, or why it was not (pykafka's delivery report, the
/// <c>(message, exception)</c> pair of <c>get_delivery_report()</c>).
/// </summary>
/// <remarks>
/// A plain value: reading it allocates nothing. <see cref="Key"/> and <see cref="Value"/> are the memory the caller
/// passed to <c>Producer.Produce</c>, not a copy: the producer copied the bytes when it accepted the message,
/// so if that memory was reused since, they show its current content.
/// </remarks>
public readonly struct DeliveryReport
{
    internal DeliveryReport(string topic, int partition, long offset, DateTimeOffset timestamp, KafkaException? error,
        ReadOnlyMemory<byte>? key, ReadOnlyMemory<byte>? value)
    {
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Timestamp = timestamp;
        Error = error;
        Key = key;
        Value = value;
    }

    /// <summary>The topic the message was produced to.</summary>
    public string Topic { get; }

    /// <summary>The partition the message was assigned to.</summary>
    public int Partition { get; }

    /// <summary>
    /// The message's offset in the partition; -1 when it failed, when <see cref="RequiredAcks.None"/> was used (the
    /// broker does not say), or when a retry found the broker already had the batch (an idempotent duplicate).
    /// </summary>
    public long Offset { get; }

    /// <summary>
    /// The message's timestamp: the broker's log-append time when the topic uses it (the broker says so in its
    /// response), otherwise the create time the producer wrote into the record.
    /// </summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Why the message was not delivered, or <see langword="null"/> when it was.</summary>
    public KafkaException? Error { get; }

    /// <summary>Whether the message was written (<see cref="Error"/> is null).</summary>
    public bool IsDelivered => Error is null;

    /// <summary>
    /// The partition key the caller passed to <c>Producer.Produce</c> (null for none); only set on reports
    /// read from <see cref="Producer.DeliveryReports"/>.
    /// </summary>
    public ReadOnlyMemory<byte>? Key { get; }

    /// <summary>
    /// The value the caller passed to <c>Producer.Produce</c> (null for a tombstone); only set on reports
    /// read from <see cref="Producer.DeliveryReports"/>.
    /// </summary>
    public ReadOnlyMemory<byte>? Value { get; }

    /// <inheritdoc/>
    public override string ToString() => Error is null
        ? $"{Topic}/{Partition}@{Offset}"
        : $"{Topic}/{Partition}: {Error.Message}";
}
