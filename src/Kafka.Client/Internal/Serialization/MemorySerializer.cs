using System.Buffers;

namespace Kafka.Client.Internal.Serialization;

internal sealed class MemorySerializer : ISerializer<ReadOnlyMemory<byte>>
{
    public void Serialize(ReadOnlyMemory<byte> value, IBufferWriter<byte> output) => output.Write(value.Span);
}
