using Kafka.Client.Internal.Consuming;

namespace Kafka.Client;

/// <summary>
/// A message of a <see cref="MessageBatch"/>: its topic, partition, offset and timestamp, and its key, value and
/// headers as slices of the pooled buffers the fetch filled. A small struct: taking one allocates nothing.
/// </summary>
/// <remarks>
/// <see cref="Topic"/>, <see cref="PartitionId"/>, <see cref="Offset"/> and the timestamp stay valid for ever. The rest
/// is valid while the batch holds the message, that is until the next consume call on its consumer (for a retained
/// batch, until it is disposed); after that it
/// throws <see cref="ObjectDisposedException"/> rather than return another message's bytes. <see cref="Detach"/> makes
/// a copy that owns its bytes.
/// </remarks>
public readonly struct MessageView
{
    private readonly MessageBatch _batch;
    private readonly long _timestamp;

    internal MessageView(MessageBatch batch, int index, int generation, string topic, int partitionId, long offset, long timestamp)
    {
        _batch = batch;
        Index = index;
        Generation = generation;
        Topic = topic;
        PartitionId = partitionId;
        Offset = offset;
        _timestamp = timestamp;
    }

    /// <summary>The topic the message was read from.</summary>
    public string Topic { get; }

    /// <summary>The partition the message was read from.</summary>
    public int PartitionId { get; }

    /// <summary>The message's offset in its partition.</summary>
    public long Offset { get; }

    /// <summary>
    /// The message's timestamp; <see langword="null"/> for messages in the oldest format (magic 0), which have none, and
    /// for a timestamp past what <see cref="DateTimeOffset"/> holds (<see cref="TimestampMilliseconds"/> has it as it came).
    /// </summary>
    public DateTimeOffset? Timestamp => Internal.UnixTime.IsTime(_timestamp) ? DateTimeOffset.FromUnixTimeMilliseconds(_timestamp) : null;

    /// <summary>The timestamp in milliseconds since the Unix epoch, or -1 when the message has none.</summary>
    public long TimestampMilliseconds => _timestamp;

    /// <summary>The message's value; empty for both an empty and a null value (see <see cref="IsValueNull"/>).</summary>
    /// <exception cref="ObjectDisposedException">The consumer has moved on and reused the buffer.</exception>
    public ReadOnlyMemory<byte> Value => Batch.Record(this).Value;

    /// <summary>Whether the value is null (a tombstone), as opposed to empty.</summary>
    /// <exception cref="ObjectDisposedException">The consumer has moved on.</exception>
    public bool IsValueNull => Batch.Record(this).IsValueNull;

    /// <summary>The message's key; empty for both an empty and a null key (see <see cref="IsPartitionKeyNull"/>).</summary>
    /// <exception cref="ObjectDisposedException">The consumer has moved on and reused the buffer.</exception>
    public ReadOnlyMemory<byte> PartitionKey => Batch.Record(this).Key;

    /// <summary>Whether the key is null, as opposed to empty.</summary>
    /// <exception cref="ObjectDisposedException">The consumer has moved on.</exception>
    public bool IsPartitionKeyNull => Batch.Record(this).IsKeyNull;

    /// <summary>How many headers the message has (none in formats before record batch v2).</summary>
    /// <exception cref="ObjectDisposedException">The consumer has moved on.</exception>
    public int HeaderCount => Batch.Record(this).Headers.Count;

    /// <summary>
    /// The message's headers in order; their values are slices with the same lifetime as <see cref="Value"/>. This
    /// builds a list (and the keys' strings) on every call: use <see cref="HeaderCount"/> to skip messages without any.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The consumer has moved on.</exception>
    public IReadOnlyList<KafkaHeader> Headers
    {
        get
        {
            var headers = Batch.Record(this).Headers;
            if (headers.Count == 0)
            {
                return [];
            }
            var list = new KafkaHeader[headers.Count];
            var i = 0;
            foreach (var header in headers)
            {
                list[i++] = header.ToKafkaHeader();
            }
            return list;
        }
    }

    /// <summary>Whether <see cref="Value"/>, <see cref="PartitionKey"/> and <see cref="Headers"/> can still be read.</summary>
    public bool IsAvailable => _batch is not null && _batch.IsAvailable(this);

    internal int Index { get; }

    /// <summary>The decoded record (for telemetry, which reads its headers without building a list).</summary>
    internal Protocol.Records.RecordView Record => Batch.Record(this);

    internal int Generation { get; }

    private MessageBatch Batch => _batch ?? throw new InvalidOperationException("This MessageView was not taken from a batch.");

    /// <summary>A <see cref="ConsumedMessage"/> that owns a copy of this message's bytes, valid for as long as it is referenced.</summary>
    /// <exception cref="ObjectDisposedException">The consumer has already moved on.</exception>
    public ConsumedMessage Detach()
    {
        var record = Batch.Record(this);
        return new ConsumedMessage(Topic, PartitionId, in record, Batch.Lease(this)).Detach();
    }

    /// <summary>
    /// The message as a <see cref="ConsumedMessage"/> over the same bytes, without copying them: its bytes stay valid
    /// as long as this view's (for a retained batch, until the batch is disposed). For an API that takes a
    /// <see cref="ConsumedMessage"/>; use <see cref="Detach"/> for one that must outlive the batch.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The consumer has already moved on, or the retained batch was disposed.</exception>
    public ConsumedMessage ToConsumedMessage()
    {
        var record = Batch.Record(this);
        return new ConsumedMessage(Topic, PartitionId, in record, Batch.Lease(this));
    }

    /// <summary>The message as <c>topic/partition@offset</c>.</summary>
    public override string ToString() => $"{Topic}/{PartitionId}@{Offset}";
}
