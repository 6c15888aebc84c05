using System.Buffers;

namespace Kafka.Client.Internal.Serialization;

internal sealed class ByteArraySerializer : ISerializer<byte[]>
{
    public void Serialize(byte[] value, IBufferWriter<byte> output) => output.Write(value);
}
