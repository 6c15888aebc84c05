using System.Buffers;

namespace Kafka.Client;

/// <summary>
/// Turns a value into the bytes of a message key or value (pykafka's <c>serializer</c>), writing into the producer's
/// buffer rather than returning an array. See <see cref="Serializers"/> for the built-in ones.
/// </summary>
/// <typeparam name="T">The type serialized.</typeparam>
public interface ISerializer<in T>
{
    /// <summary>Writes <paramref name="value"/> (never null: null keys and values are sent as such without serializing).</summary>
    void Serialize(T value, IBufferWriter<byte> output);
}
