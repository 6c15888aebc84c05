using System.Buffers;

namespace Kafka.Client;

/// <summary>
/// A <see cref="Producer"/> of typed keys and values (pykafka's <c>serializer</c> parameter): each key and value is
/// serialized into a per-thread staging buffer that the producer copies into the batch, so strings and JSON need no
/// intermediate arrays. A null key (of a reference type) means no key; a null value is a tombstone. Thread-safe.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class Producer<TKey, TValue> : IAsyncDisposable
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_keyBuffer;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_valueBuffer;

    private readonly ISerializer<TKey> _keySerializer;
    private readonly ISerializer<TValue> _valueSerializer;

    /// <summary>Wraps <paramref name="producer"/>, which this object then owns (disposing it disposes the producer).</summary>
    public Producer(Producer producer, ISerializer<TKey> keySerializer, ISerializer<TValue> valueSerializer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentNullException.ThrowIfNull(keySerializer);
        ArgumentNullException.ThrowIfNull(valueSerializer);
        Inner = producer;
        _keySerializer = keySerializer;
        _valueSerializer = valueSerializer;
    }

    /// <summary>The untyped producer underneath (for flushing, reports, options).</summary>
    public Producer Inner { get; }

    /// <summary>Serializes and queues a message with a key; returns when it is delivered. See <c>Producer.ProduceAsync</c>.</summary>
    public ValueTask<DeliveryReport> ProduceAsync(TValue value, TKey key, DateTimeOffset? timestamp = null,
        ReadOnlySpan<KafkaHeader> headers = default, CancellationToken cancellationToken = default)
    {
        var (keyBytes, hasKey) = Serialize(_keySerializer, key, ref t_keyBuffer);
        var (valueBytes, hasValue) = Serialize(_valueSerializer, value, ref t_valueBuffer);
        return Inner.ProduceCoreAsync(keyBytes.Span, hasKey, valueBytes.Span, hasValue, timestamp, headers, cancellationToken);
    }

    /// <summary>Serializes and queues a message without a key; returns when it is delivered.</summary>
    public ValueTask<DeliveryReport> ProduceAsync(TValue value, CancellationToken cancellationToken = default)
    {
        var (valueBytes, hasValue) = Serialize(_valueSerializer, value, ref t_valueBuffer);
        return Inner.ProduceCoreAsync(default, false, valueBytes.Span, hasValue, null, default, cancellationToken);
    }

    /// <summary>
    /// Serializes and queues a message with a key, returning once it is queued. See <c>Producer.Produce</c>;
    /// delivery reports of typed messages carry no key or value (the bytes were staged, not the caller's).
    /// </summary>
    public void Produce(TValue value, TKey key, DateTimeOffset? timestamp = null, ReadOnlySpan<KafkaHeader> headers = default)
    {
        var (keyBytes, hasKey) = Serialize(_keySerializer, key, ref t_keyBuffer);
        var (valueBytes, hasValue) = Serialize(_valueSerializer, value, ref t_valueBuffer);
        Inner.ProduceCore(keyBytes.Span, hasKey, valueBytes.Span, hasValue, timestamp, headers, null, null);
    }

    /// <summary>Serializes and queues a message without a key, returning once it is queued.</summary>
    public void Produce(TValue value)
    {
        var (valueBytes, hasValue) = Serialize(_valueSerializer, value, ref t_valueBuffer);
        Inner.ProduceCore(default, false, valueBytes.Span, hasValue, null, default, null, null);
    }

    /// <summary>Waits until every message accepted before the call is delivered or failed.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => Inner.FlushAsync(cancellationToken);

    /// <summary>Disposes the underlying producer (see <see cref="Producer.DisposeAsync"/>).</summary>
    public ValueTask DisposeAsync() => Inner.DisposeAsync();

    private static (ReadOnlyMemory<byte> Bytes, bool Present) Serialize<T>(ISerializer<T> serializer, T value, ref ArrayBufferWriter<byte>? buffer)
    {
        if (value is null)
        {
            return (default, false);
        }
        buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        serializer.Serialize(value, buffer);
        return (buffer.WrittenMemory, true);
    }
}
