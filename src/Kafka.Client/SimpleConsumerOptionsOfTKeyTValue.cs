namespace Kafka.Client;

/// <summary>
/// Settings of a <see cref="SimpleConsumer{TKey, TValue}"/>: those of <see cref="SimpleConsumerOptions"/> plus the
/// deserializers of keys and values (pykafka's <c>deserializer</c> hook, which turned both at once).
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public class SimpleConsumerOptions<TKey, TValue> : SimpleConsumerOptions
{
    /// <summary>Turns key bytes into a <typeparamref name="TKey"/>; required (<see cref="Deserializers.Ignore"/> for keys not used).</summary>
    public IDeserializer<TKey>? KeyDeserializer { get; set; }

    /// <summary>Turns value bytes into a <typeparamref name="TValue"/>; required.</summary>
    public IDeserializer<TValue>? ValueDeserializer { get; set; }
}
