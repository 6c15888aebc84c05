namespace Kafka.Client;

/// <summary>
/// Turns a message's key or value bytes into a <typeparamref name="T"/> (pykafka's <c>deserializer</c> hook, one per
/// part). The bytes are only valid during the call: copy what the result must keep.
/// </summary>
/// <typeparam name="T">The type produced.</typeparam>
public interface IDeserializer<out T>
{
    /// <summary>Deserializes <paramref name="data"/>; for a null key or value <paramref name="data"/> is empty and <see cref="DeserializationContext.IsNull"/> is true.</summary>
    T Deserialize(ReadOnlySpan<byte> data, in DeserializationContext context);
}
