namespace Kafka.Client;

public sealed partial class ConsumedMessage
{
    /// <summary>
    /// The message with its key and value deserialized, as a <see cref="SimpleConsumer{TKey, TValue}"/> hands it out: a
    /// <see cref="ConsumedMessage{TKey, TValue}"/> that owns its headers and stays valid for as long as it is
    /// referenced. For code that consumes raw messages (or a retained batch) and deserializes them itself, such as a
    /// hosted consumer with a typed handler.
    /// </summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="keyDeserializer">Turns the key bytes into a <typeparamref name="TKey"/> (<see cref="Deserializers.Ignore"/> for keys not used).</param>
    /// <param name="valueDeserializer">Turns the value bytes into a <typeparamref name="TValue"/>.</param>
    /// <returns>The deserialized message.</returns>
    /// <exception cref="ObjectDisposedException">The message's bytes were already given back.</exception>
    /// <remarks>An exception a deserializer throws is passed on as it is.</remarks>
    public ConsumedMessage<TKey, TValue> Deserialize<TKey, TValue>(IDeserializer<TKey> keyDeserializer, IDeserializer<TValue> valueDeserializer)
    {
        ArgumentNullException.ThrowIfNull(keyDeserializer);
        ArgumentNullException.ThrowIfNull(valueDeserializer);
        ThrowIfReleased();
        var key = keyDeserializer.Deserialize(_key.Span, new DeserializationContext(this, MessageComponent.Key, IsPartitionKeyNull));
        var value = valueDeserializer.Deserialize(_value.Span, new DeserializationContext(this, MessageComponent.Value, IsValueNull));
        var headers = Headers;
        if (headers.Count > 0 && _lease is not null)
        {
            headers = [.. headers.Select(h => h with { Value = h.Value.ToArray() })];
        }
        ThrowIfReleased(); // the bytes were read before the buffers could be reused
        return new ConsumedMessage<TKey, TValue>(this, key, value, headers);
    }
}
