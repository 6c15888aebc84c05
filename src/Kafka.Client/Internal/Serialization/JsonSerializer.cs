using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Kafka.Client.Internal.Serialization;

/// <summary>JSON with a <see cref="Utf8JsonWriter"/> kept per thread and pointed at each output in turn.</summary>
internal sealed class JsonSerializer<T> : ISerializer<T>
{
    private readonly JsonTypeInfo<T> _typeInfo;

    public JsonSerializer(JsonTypeInfo<T> typeInfo) => _typeInfo = typeInfo;

    public void Serialize(T value, IBufferWriter<byte> output)
    {
        var writer = JsonWriterCache.Rent(output);
        try
        {
            System.Text.Json.JsonSerializer.Serialize(writer, value, _typeInfo);
            writer.Flush();
        }
        finally
        {
            JsonWriterCache.Return(writer);
        }
    }
}
