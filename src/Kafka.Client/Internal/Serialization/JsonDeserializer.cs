using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Kafka.Client.Internal.Serialization;

/// <summary>JSON read straight from the message's bytes with source-generated (or resolved) metadata; a null key or value (and JSON <c>null</c>) gives <c>default</c>.</summary>
internal sealed class JsonDeserializer<T> : IDeserializer<T>
{
    private readonly JsonTypeInfo<T> _typeInfo;

    public JsonDeserializer(JsonTypeInfo<T> typeInfo) => _typeInfo = typeInfo;

    public T Deserialize(ReadOnlySpan<byte> data, in DeserializationContext context) =>
        context.IsNull ? default! : JsonSerializer.Deserialize(data, _typeInfo)!;
}
