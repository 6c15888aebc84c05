using Kafka.Client.Internal;
using Kafka.Client.Internal.Consuming;
using Kafka.Client.Protocol.Records;

namespace Kafka.Client;

/// <summary>
/// A message read by a <see cref="SimpleConsumer"/> (pykafka's <c>Message</c> as a consumer returns it): its offset,
/// partition, key, value, timestamp and headers.
/// </summary>
/// <remarks>
/// <para>
/// <b>Lifetime.</b> To avoid an array per message, <see cref="Value"/>, <see cref="PartitionKey"/> and the header
/// values are slices of pooled buffers (the fetched response, or the buffer a compressed batch was decompressed into).
/// They are valid until the next <see cref="SimpleConsumer.ConsumeAsync"/> call on the same consumer (the next step
/// of an <c>await foreach</c>), or until the consumer is reset or disposed. After that the buffers are reused, and these
/// properties throw <see cref="ObjectDisposedException"/> rather than return someone else's bytes. To keep a message
/// longer, call <see cref="Detach"/>, which copies it; the other properties (offset, partition, timestamp, topic) stay
/// valid for ever.
/// </para>
/// <para>
/// A <see cref="ReadOnlyMemory{T}"/> taken from <see cref="Value"/> is not checked again when it is used: do not keep
/// it past the next call either.
/// </para>
/// </remarks>
public sealed partial class ConsumedMessage
{
    private readonly ReadOnlyMemory<byte> _value;
    private readonly ReadOnlyMemory<byte> _key;
    private readonly RecordHeaders _rawHeaders;
    private readonly FetchChunk? _lease;
    private readonly long _timestamp;
    private IReadOnlyList<KafkaHeader>? _headers;

    internal ConsumedMessage(string topic, int partitionId, in RecordView record, FetchChunk? lease)
    {
        Topic = topic;
        PartitionId = partitionId;
        Offset = record.Offset;
        _timestamp = record.Timestamp;
        _value = record.Value;
        IsValueNull = record.IsValueNull;
        _key = record.Key;
        IsPartitionKeyNull = record.IsKeyNull;
        _rawHeaders = record.Headers;
        _lease = lease;
    }

    private ConsumedMessage(ConsumedMessage source, ReadOnlyMemory<byte> value, ReadOnlyMemory<byte> key, IReadOnlyList<KafkaHeader> headers)
    {
        Topic = source.Topic;
        PartitionId = source.PartitionId;
        Offset = source.Offset;
        _timestamp = source._timestamp;
        _value = value;
        IsValueNull = source.IsValueNull;
        _key = key;
        IsPartitionKeyNull = source.IsPartitionKeyNull;
        _headers = headers;
    }

    /// <summary>
    /// A message a <see cref="ShareConsumer"/> received: a copy that owns its bytes, with the number of times the share
    /// group has delivered it.
    /// </summary>
    internal static ConsumedMessage ForShareGroup(string topic, int partitionId, in RecordView record, int deliveryCount)
    {
        var view = new ConsumedMessage(topic, partitionId, in record, lease: null);
        var headers = view.Headers;
        var copied = headers.Count == 0 ? headers : headers.Select(h => h with { Value = h.Value.ToArray() }).ToArray();
        return new ConsumedMessage(view, view._value.ToArray(), view._key.ToArray(), copied) { DeliveryCount = deliveryCount };
    }

    /// <summary>
    /// How many times a share group has delivered this message, this time included (KIP-932): 1 the first time, more
    /// after it was released or its acquisition lock ran out. <see langword="null"/> for messages of other consumers.
    /// </summary>
    public int? DeliveryCount { get; private init; }

    /// <summary>The topic the message was read from.</summary>
    public string Topic { get; }

    /// <summary>The partition the message was read from.</summary>
    public int PartitionId { get; }

    /// <summary>The message's offset in its partition.</summary>
    public long Offset { get; }

    /// <summary>
    /// The message's value; empty for both an empty and a null value (see <see cref="IsValueNull"/>). Valid until the
    /// next consume call (see the remarks on <see cref="ConsumedMessage"/>).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The consumer has moved on and reused the buffer; use <see cref="Detach"/> to keep messages.</exception>
    public ReadOnlyMemory<byte> Value
    {
        get
        {
            ThrowIfReleased();
            return _value;
        }
    }

    /// <summary>Whether the value is null (a tombstone on a compacted topic), as opposed to empty.</summary>
    public bool IsValueNull { get; }

    /// <summary>
    /// The message's key (pykafka's <c>partition_key</c>); empty for both an empty and a null key (see
    /// <see cref="IsPartitionKeyNull"/>). Valid until the next consume call.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The consumer has moved on and reused the buffer.</exception>
    public ReadOnlyMemory<byte> PartitionKey
    {
        get
        {
            ThrowIfReleased();
            return _key;
        }
    }

    /// <summary>Whether the key is null, as opposed to empty.</summary>
    public bool IsPartitionKeyNull { get; }

    /// <summary>
    /// The message's timestamp (its create time, or the broker's append time when the topic is configured so);
    /// <see langword="null"/> for messages in the oldest format (magic 0), which have none, and for a timestamp past
    /// what <see cref="DateTimeOffset"/> holds (<see cref="TimestampMilliseconds"/> has it as it came).
    /// </summary>
    public DateTimeOffset? Timestamp => UnixTime.IsTime(_timestamp) ? DateTimeOffset.FromUnixTimeMilliseconds(_timestamp) : null;

    /// <summary>The timestamp in milliseconds since the Unix epoch, or -1 when the message has none.</summary>
    public long TimestampMilliseconds => _timestamp;

    /// <summary>
    /// The message's headers in order (record batch v2; none in older formats). Their values are slices with the
    /// same lifetime as <see cref="Value"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The consumer has moved on and reused the buffer.</exception>
    public IReadOnlyList<KafkaHeader> Headers
    {
        get
        {
            if (_headers is { } headers)
            {
                return headers;
            }
            ThrowIfReleased();
            if (_rawHeaders.Count == 0)
            {
                return _headers = [];
            }
            var list = new KafkaHeader[_rawHeaders.Count];
            var i = 0;
            foreach (var header in _rawHeaders)
            {
                list[i++] = header.ToKafkaHeader();
            }
            return _headers = list;
        }
    }

    /// <summary>Whether <see cref="Value"/>, <see cref="PartitionKey"/> and <see cref="Headers"/> can still be read.</summary>
    public bool IsAvailable => _lease is null || !_lease.IsReleased;

    /// <summary>
    /// A copy of this message that owns its bytes, valid for as long as it is referenced. Call it before the next
    /// consume call for the messages you keep.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The consumer has already moved on.</exception>
    public ConsumedMessage Detach()
    {
        if (_lease is null)
        {
            return this;
        }
        ThrowIfReleased();
        var headers = Headers;
        var copied = headers.Count == 0 ? headers : headers.Select(h => h with { Value = h.Value.ToArray() }).ToArray();
        var detached = new ConsumedMessage(this, _value.ToArray(), _key.ToArray(), copied);
        ThrowIfReleased(); // the copies were taken before the buffers could be reused
        return detached;
    }

    /// <summary>The span context the producer carried in the headers, or default; empty once the bytes were reused.</summary>
    internal System.Diagnostics.ActivityContext ExtractTraceContext(out IEnumerable<KeyValuePair<string, string?>>? baggage)
    {
        baggage = null;
        if (_headers is { } headers)
        {
            return TraceContextPropagation.Extract(headers, out baggage);
        }
        return IsAvailable ? TraceContextPropagation.Extract(_rawHeaders, out baggage) : default;
    }

    private void ThrowIfReleased()
    {
        if (_lease is { IsReleased: true })
        {
            throw new ObjectDisposedException(nameof(ConsumedMessage),
                $"The bytes of message {this} were valid until the next ConsumeAsync call and have been reused. Call Detach() on messages you keep.");
        }
    }

    /// <summary>The message as <c>topic/partition@offset</c>.</summary>
    public override string ToString() => $"{Topic}/{PartitionId}@{Offset}";
}
